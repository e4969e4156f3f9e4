package kube

// FieldLine returns the line of a field of the object in its source file,
// given its path as server-side apply names it (.spec.storageClassName,
// .spec.volumeClaimTemplates[0].spec.storageClassName): the line of the
// deepest part of the path found, the object's own line when not even the
// first part is there, or 0 when the object's YAML is not known.
func (o Object) FieldLine(path string) int {
	if o.node == nil {
		return o.Source.Line
	}
	if l := fieldLine(o.node, path); l > 0 {
		return l
	}
	return o.Source.Line
}
