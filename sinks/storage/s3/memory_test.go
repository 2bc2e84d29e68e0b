package s3_test

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/s3"
	"github.com/leadpipe/leadpipe/sinks/storage/s3/s3test"
)

// uploadPeak streams size bytes of generated data through a Writer in
// 64 KiB writes and returns how far the heap (bytes in heap objects, live
// or not yet collected) and the process's peak RSS rose above where they
// were before the upload. The RSS figure is -1 where it cannot be read.
func uploadPeak(tb testing.TB, s storage.Storage, key string, size int64) (heap uint64, rss int64) {
	tb.Helper()
	// Collect often, so the heap tracks what the upload holds rather than
	// when the collector last ran.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	base := heapBytes()
	resetPeakRSS()
	rssBase := peakRSS()

	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if h := heapBytes(); h > peak {
				peak = h
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})

	w, err := s.Create(tb.Context(), key)
	if err != nil {
		tb.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for off := int64(0); off < size; off += int64(len(chunk)) {
		// Different bytes in every chunk: nothing can be deduplicated.
		for i := 0; i < len(chunk); i += 4096 {
			copy(chunk[i:], strconv.FormatInt(off+int64(i), 36))
		}
		n := min(int64(len(chunk)), size-off)
		if _, err := w.Write(chunk[:n]); err != nil {
			w.Abort()
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	close(stop)
	wg.Wait()
	info, err := s.Stat(tb.Context(), key)
	if err != nil || info.Size != size {
		tb.Fatalf("uploaded object: %+v, %v; want %d bytes", info, err, size)
	}
	rss = -1
	if r := peakRSS(); r >= 0 && rssBase >= 0 {
		rss = r - rssBase
	}
	if peak < base {
		return 0, rss
	}
	return peak - base, rss
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() uint64 {
	metrics.Read(heapSample)
	return heapSample[0].Value.Uint64()
}

// peakRSS is VmHWM from /proc/self/status in bytes, or -1.
func peakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

// resetPeakRSS resets VmHWM to the current RSS (Linux).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// Peak memory while uploading does not grow with the object: it is set by
// the part size and the parts in flight. An object three times larger
// needs no more memory, and neither needs more than a small multiple of
// (Concurrency+2)×PartSize.
func TestUploadMemoryDoesNotGrowWithSizeIntegration(t *testing.T) {
	srv := s3test.Start(t)
	srv.SetEnv(t)
	s := open(t, "s3://"+srv.NewBucket(t), storage.Options{})
	small, _ := uploadPeak(t, s, "small.bin", 32<<20)
	large, rss := uploadPeak(t, s, "large.bin", 96<<20)
	t.Logf("peak heap growth: %s for 32 MiB, %s for 96 MiB (peak RSS growth %s)", mib(small), mib(large), mib(uint64(max(rss, 0))))
	bound := uint64(3 * (s3.Concurrency + 2) * s3.PartSize)
	if large > bound {
		t.Errorf("uploading 96 MiB raised the heap by %s, more than %s", mib(large), mib(bound))
	}
	if large > small+uint64(2*s3.PartSize) {
		t.Errorf("the heap grows with the object: %s for 32 MiB, %s for 96 MiB", mib(small), mib(large))
	}
}

// BenchmarkUpload300MB streams a 300 MB object through the Writer to
// versitygw and reports the peak heap and RSS growth:
//
//	go test -run '^$' -bench Upload300MB -benchtime 1x ./sinks/storage/s3/
func BenchmarkUpload300MB(b *testing.B) {
	srv := s3test.Start(b)
	srv.SetEnv(b)
	s, err := storage.Open(b.Context(), "s3://"+srv.NewBucket(b), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	const size = 300 << 20
	b.SetBytes(size)
	var heap uint64
	var rss int64
	for i := 0; b.Loop(); i++ {
		h, r := uploadPeak(b, s, fmt.Sprintf("big-%d.bin", i), size)
		heap, rss = max(heap, h), max(rss, r)
	}
	b.Logf("peak heap growth %s, peak RSS growth %s", mib(heap), mib(uint64(max(rss, 0))))
	b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
}
