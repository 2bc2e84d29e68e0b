package s3_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// cuttingProxy forwards TCP to a server and, once, cuts a connection after
// it has carried limit bytes back to the client: a network blip in the
// middle of a download.
type cuttingProxy struct {
	addr  string
	limit int64
	cuts  atomic.Int32
}

func newCuttingProxy(t *testing.T, upstream string, limit int64) *cuttingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	p := &cuttingProxy{addr: l.Addr().String(), limit: limit}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go p.serve(c, upstream)
		}
	}()
	return p
}

func (p *cuttingProxy) serve(c net.Conn, upstream string) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	go func() {
		io.Copy(u, c)
		u.Close()
	}()
	buf := make([]byte, 32<<10)
	var n int64
	for {
		k, err := u.Read(buf)
		if k > 0 {
			n += int64(k)
			if n > p.limit && p.cuts.CompareAndSwap(0, 1) {
				c.Write(buf[:k/2])
				return // both ends close: the client sees a truncated body
			}
			if _, werr := c.Write(buf[:k]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
