// Command web is the app the kind provider's end-to-end tests deploy in a
// real cluster, built into an image the tests push to a registry on
// loopback: it answers every path on :8080 as the tests' pod network does,
// with {"version": $VERSION, "pod": <hostname>, "path": <path>}, after
// sleeping $LATENCY (a Go duration) when that is set.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"time"
)

func main() {
	var latency time.Duration
	if s := os.Getenv("LATENCY"); s != "" {
		var err error
		if latency, err = time.ParseDuration(s); err != nil {
			log.Fatalf("LATENCY: %v", err)
		}
	}
	pod, _ := os.Hostname()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"version": os.Getenv("VERSION"), "pod": pod, "path": r.URL.Path})
	})
	log.Fatal(http.ListenAndServe(":8080", nil))
}
