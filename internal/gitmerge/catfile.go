package gitmerge

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// object is what cat-file says about an object.
type object struct {
	OID  string
	Type string // "blob", "tree", "commit", "tag"
	Size int64
}

// catFile is one long-running `git cat-file --batch-command -z`: every object
// read of an operation goes through it instead of a process per object.
type catFile struct {
	repo   *Repo
	args   []string
	cancel context.CancelFunc
	wait   func() error
	in     io.WriteCloser
	out    *bufio.Reader
	stderr *lockedBuffer

	once    sync.Once
	waitErr error
}

// startCatFile starts the batch process; close it when done.
func (r *Repo) startCatFile(ctx context.Context) (*catFile, error) {
	ctx, cancel := context.WithCancel(ctx)
	args := []string{"cat-file", "--batch-command", "-z"}
	cmd := r.command(ctx, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, newError(args, err, "")
	}
	return &catFile{repo: r, args: args, cancel: cancel, wait: cmd.Wait, in: in, out: bufio.NewReaderSize(out, 64<<10), stderr: stderr}, nil
}

// info looks obj up ("<oid>" or "<tree-ish>:<path>"); ok is false when it
// does not exist.
func (c *catFile) info(obj string) (object, bool, error) {
	if err := c.send("info", obj); err != nil {
		return object{}, false, err
	}
	return c.header(obj)
}

// contents reads obj; ok is false when it does not exist.
func (c *catFile) contents(obj string) (object, []byte, bool, error) {
	if err := c.send("contents", obj); err != nil {
		return object{}, nil, false, err
	}
	return c.body(obj)
}

// contentsAll reads every object of oids, writing requests from a goroutine
// so neither side of the pipes can block the other, and calls fn in order.
func (c *catFile) contentsAll(oids []string, fn func(oid string, data []byte) error) error {
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := bufio.NewWriter(c.in)
		for _, oid := range oids {
			if _, werr = fmt.Fprintf(w, "contents %s\x00", oid); werr != nil {
				return
			}
		}
		werr = w.Flush()
	}()
	var err error
	for _, oid := range oids {
		var data []byte
		var ok bool
		if _, data, ok, err = c.body(oid); err != nil {
			break
		}
		if !ok {
			err = fmt.Errorf("object %s is missing", oid)
			break
		}
		if err = fn(oid, data); err != nil {
			break
		}
	}
	if err != nil {
		c.cancel() // unblocks the writer
	}
	wg.Wait()
	if err == nil && werr != nil {
		err = c.fail(werr)
	}
	return err
}

// send writes one command.
func (c *catFile) send(cmd, obj string) error {
	if strings.ContainsAny(obj, "\x00\n") {
		return fmt.Errorf("cat-file: object name %q contains NUL or newline", obj)
	}
	if _, err := fmt.Fprintf(c.in, "%s %s\x00", cmd, obj); err != nil {
		return c.fail(err)
	}
	return nil
}

// header reads "<oid> <type> <size>\n" or "<obj> missing\n".
func (c *catFile) header(obj string) (object, bool, error) {
	line, err := c.out.ReadString('\n')
	if err != nil {
		return object{}, false, c.fail(err)
	}
	line = strings.TrimSuffix(line, "\n")
	if line == obj+" missing" || line == obj+" ambiguous" {
		return object{}, false, nil
	}
	parts := strings.Split(line, " ")
	if len(parts) != 3 || !isOID(parts[0]) {
		return object{}, false, fmt.Errorf("git cat-file: unexpected output %q for %q", truncate(line), truncate(obj))
	}
	size, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || size < 0 {
		return object{}, false, fmt.Errorf("git cat-file: bad size in %q", truncate(line))
	}
	return object{OID: parts[0], Type: parts[1], Size: size}, true, nil
}

// body reads a header, then the object's content and its trailing newline.
func (c *catFile) body(obj string) (object, []byte, bool, error) {
	o, ok, err := c.header(obj)
	if err != nil || !ok {
		return o, nil, ok, err
	}
	data := make([]byte, o.Size+1)
	if _, err := io.ReadFull(c.out, data); err != nil {
		return o, nil, false, c.fail(err)
	}
	if data[o.Size] != '\n' {
		return o, nil, false, fmt.Errorf("git cat-file: object %s not followed by a newline", o.OID)
	}
	return o, data[:o.Size], true, nil
}

// fail stops the process and turns a pipe error into an *Error carrying
// git's stderr and, when git already exited, its exit code.
func (c *catFile) fail(err error) error {
	c.cancel()
	if werr := c.waitOnce(); werr != nil {
		if e := newError(c.args, werr, c.stderr.String()); e.ExitCode > 0 {
			return e
		}
	}
	return newError(c.args, err, c.stderr.String())
}

// close ends the process and reports how it exited.
func (c *catFile) close() error {
	c.in.Close()
	err := c.waitOnce()
	c.cancel()
	if err != nil {
		return newError(c.args, err, c.stderr.String())
	}
	return nil
}

// waitOnce waits for the process; later calls return the first result.
func (c *catFile) waitOnce() error {
	c.once.Do(func() { c.waitErr = c.wait() })
	return c.waitErr
}

// lockedBuffer is a bytes.Buffer safe for os/exec's stderr copier.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
