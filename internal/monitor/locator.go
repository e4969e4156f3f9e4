package monitor

import "strings"

// locatorValue returns the value of key in a locator ("ns/shop
// service/web" has "shop" at "ns"), or "". The value runs to the next
// " <key>/" of a known key, so an endpoint name or URL may hold spaces and
// slashes.
func locatorValue(locator, key string) string {
	rest, ok := cutKey(locator, key)
	if !ok {
		return ""
	}
	end := len(rest)
	for _, k := range locatorKeys {
		if i := strings.Index(rest, " "+k+"/"); i >= 0 && i < end {
			end = i
		}
	}
	return rest[:end]
}

// locatorKeys are the keys this package writes.
var locatorKeys = []string{"ns", "service", "endpoint", "backend", "deployment", "statefulset", "daemonset", "pod", "container", "node", "condition", "watch"}

// cutKey returns what follows "key/" at the start of locator or after a
// space.
func cutKey(locator, key string) (string, bool) {
	if rest, ok := strings.CutPrefix(locator, key+"/"); ok {
		return rest, true
	}
	if _, rest, ok := strings.Cut(locator, " "+key+"/"); ok {
		return rest, true
	}
	return "", false
}

// objectOf names a locator's object for a finding, as kind/namespace/name
// (or kind/name), e.g. "Service/shop/web"; "" when it names none.
func objectOf(locator string) string {
	ns := locatorValue(locator, "ns")
	for _, k := range []struct{ key, kind string }{
		{"pod", "Pod"}, {"service", "Service"}, {"deployment", "Deployment"},
		{"statefulset", "StatefulSet"}, {"daemonset", "DaemonSet"}, {"node", "Node"},
	} {
		if name := locatorValue(locator, k.key); name != "" {
			if ns == "" {
				return k.kind + "/" + name
			}
			return k.kind + "/" + ns + "/" + name
		}
	}
	return ""
}
