package parquet

import (
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdWindow is the match window of the page compressor. Parquet compresses
// each page on its own and pages are about 1 MiB (the data page size), so a
// larger window finds nothing more. arrow-go's own codec keeps the library
// default of 8 MiB, which costs 16 MiB of history per pooled encoder.
const zstdWindow = 1 << 20

// pageZstd is arrow-go's zstd codec with leaner encoders: a 1 MiB window
// instead of 8 MiB, otherwise the same settings (one goroutine per encoder,
// entropy-coded literals, pooled per level). The output is standard zstd
// that every reader decodes; decoding is delegated to arrow-go's codec.
type pageZstd struct {
	compress.Codec // arrow-go's codec: Decode, CompressBound, streams
	pools          sync.Map
}

var _ compress.Codec = (*pageZstd)(nil)

// init registers the codec, as compress.RegisterCodec documents, before any
// writer can look it up.
func init() {
	orig, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err)
	}
	compress.RegisterCodec(compress.Codecs.Zstd, &pageZstd{Codec: orig})
}

func (z *pageZstd) pool(level zstd.EncoderLevel) *sync.Pool {
	if p, ok := z.pools.Load(level); ok {
		return p.(*sync.Pool)
	}
	p, _ := z.pools.LoadOrStore(level, &sync.Pool{New: func() any {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(level),
			zstd.WithEncoderConcurrency(1),
			zstd.WithWindowSize(zstdWindow),
			zstd.WithZeroFrames(true),
			zstd.WithAllLitEntropyCompression(true))
		if err != nil {
			panic(err) // only on invalid options, which are constants here
		}
		return enc
	}})
	return p.(*sync.Pool)
}

// Encode compresses src at the default level.
func (z *pageZstd) Encode(dst, src []byte) []byte {
	return z.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

// EncodeLevel compresses src at a zstd level (1..22); the default level is
// zstd's 3 (klauspost's SpeedDefault).
func (z *pageZstd) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	p := z.pool(l)
	enc := p.Get().(*zstd.Encoder)
	out := enc.EncodeAll(src, dst[:0])
	p.Put(enc)
	return out
}

// DecodeWithError decodes with arrow-go's codec, keeping its error path.
func (z *pageZstd) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(z.Codec, dst, src)
}
