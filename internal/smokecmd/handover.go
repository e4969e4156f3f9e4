package smokecmd

// batchLines is how many decoded lines are handed to the parsing goroutine
// at once.
const batchLines = 1024

// queuedLine is a line of go test output, decoded, waiting to be parsed.
type queuedLine struct{ s, pkg string }

// queue adds a decoded line to the batch being filled and hands the batch
// over when it is full: decoding the next lines and parsing these then run
// at the same time. The parse of a batch is a goroutine that ends with it,
// so none is left behind when a run is abandoned.
func (c *converter) queue(s, pkg string) {
	c.queued = append(c.queued, queuedLine{s, pkg})
	if len(c.queued) < batchLines {
		return
	}
	c.wait() // the batch handed before is parsed: its slice is free again
	batch := c.queued
	c.queued, c.handed = c.handed[:0], batch
	done := make(chan struct{})
	c.parsing = done
	go func() {
		defer close(done)
		for _, l := range batch {
			c.parse(l.s, l.pkg)
		}
	}()
}

// wait waits for the batch handed over, if any, to be parsed.
func (c *converter) wait() {
	if c.parsing != nil {
		<-c.parsing
		c.parsing = nil
	}
}

// parseQueued parses every line queued, in order, and returns when done.
func (c *converter) parseQueued() {
	c.wait()
	for _, l := range c.queued {
		c.parse(l.s, l.pkg)
	}
	c.queued = c.queued[:0]
}
