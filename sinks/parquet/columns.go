package parquet

import (
	"math"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/leadpipe/leadpipe/schema"
)

// column is a reusable builder for one column's Arrow array. Unlike Arrow's
// own builders it keeps its buffers across chunks: array() wraps them without
// copying, and reset() empties them for the next chunk once the Parquet
// writer has encoded (copied) the values. In steady state appending a value
// allocates nothing.
type column struct {
	c     *schema.Column
	dt    arrow.DataType
	n     int // values appended
	nulls int
	valid []byte  // validity bitmap, one bit per value, 1 = valid
	def   []int16 // Parquet definition levels: 1 = valid, 0 = null

	// A dictionary column (the schema's dict flag) is not copied as
	// strings: each value is looked up in the writer's dictionary of the
	// open row group, and the chunk carries the indices plus the values
	// the dictionary gained in this chunk.
	dict    bool
	idx     []int32  // dictionary indices
	newVals []string // values added to the dictionary by this chunk

	i64 []int64           // timestamp, int
	i32 []int32           // date
	dec []decimal128.Num  // money, rate
	off []int32           // string offsets (n+1)
	str []byte            // string bytes
	buf [3]*memory.Buffer // scratch for array()
}

func newColumn(c *schema.Column, capacity int) *column {
	b := &column{c: c, dt: ArrowType(c.Kind), dict: c.Dict && c.Kind == schema.KindString}
	b.valid = make([]byte, 0, bitutil.BytesForBits(int64(capacity)))
	b.def = make([]int16, 0, capacity)
	switch {
	case b.dict:
		b.idx = make([]int32, 0, capacity)
	case c.Kind == schema.KindString:
		b.off = make([]int32, 1, capacity+1)
		b.str = make([]byte, 0, capacity*16)
	case c.Kind == schema.KindMoney || c.Kind == schema.KindRate:
		b.dec = make([]decimal128.Num, 0, capacity)
	case c.Kind == schema.KindTimestamp || c.Kind == schema.KindInt:
		b.i64 = make([]int64, 0, capacity)
	case c.Kind == schema.KindDate:
		b.i32 = make([]int32, 0, capacity)
	}
	return b
}

// growValid makes room in the bitmap for k more values; new bits are zero.
func (b *column) growValid(k int) {
	need := int(bitutil.BytesForBits(int64(b.n + k)))
	for len(b.valid) < need {
		b.valid = append(b.valid, 0)
	}
}

// appendRows appends the column's values of rows[from:to]; dict is the
// dictionary of the open row group for a dictionary column. The only error is
// a string chunk outgrowing Arrow's 32-bit offsets, which the writer's flush
// threshold makes unreachable in practice.
func (b *column) appendRows(rows schema.Rows, from, to int, dict map[string]int32) error {
	b.growValid(to - from)
	c, valid, n, n0 := b.c, b.valid, b.n, b.n
	switch {
	case b.dict:
		idx := b.idx
		for i := from; i < to; i++ {
			s := *rows.Row(i).Str(c)
			k := int32(0)
			if s != "" {
				var ok bool
				if k, ok = dict[s]; !ok {
					// The dictionary outlives the caller's rows: copy.
					s = strings.Clone(s)
					k = int32(len(dict))
					dict[s] = k
					b.newVals = append(b.newVals, s)
				}
				valid[n>>3] |= 1 << (n & 7)
			} else {
				b.nulls++
			}
			idx = append(idx, k)
			n++
		}
		b.idx = idx
	case c.Kind == schema.KindString:
		str, off := b.str, b.off
		for i := from; i < to; i++ {
			s := *rows.Row(i).Str(c)
			if s != "" {
				str = append(str, s...)
				valid[n>>3] |= 1 << (n & 7)
			} else {
				b.nulls++
			}
			off = append(off, int32(len(str)))
			n++
		}
		b.str, b.off = str, off
		if len(str) > math.MaxInt32 {
			return errStringOverflow
		}
	case c.Kind == schema.KindMoney:
		dec := b.dec
		for i := from; i < to; i++ {
			m := rows.Row(i).Money(c)
			if m.Valid {
				dec = append(dec, decimal128.FromI64(m.Cents))
				valid[n>>3] |= 1 << (n & 7)
			} else {
				dec = append(dec, decimal128.Num{})
				b.nulls++
			}
			n++
		}
		b.dec = dec
	case c.Kind == schema.KindRate:
		dec := b.dec
		for i := from; i < to; i++ {
			r := rows.Row(i).Rate(c)
			if r.Valid {
				dec = append(dec, decimal128.FromI64(r.Micros))
				valid[n>>3] |= 1 << (n & 7)
			} else {
				dec = append(dec, decimal128.Num{})
				b.nulls++
			}
			n++
		}
		b.dec = dec
	case c.Kind == schema.KindTimestamp:
		v := b.i64
		for i := from; i < to; i++ {
			t := rows.Row(i).Timestamp(c)
			v = append(v, t.Micros)
			if t.Valid {
				valid[n>>3] |= 1 << (n & 7)
			} else {
				v[len(v)-1] = 0
				b.nulls++
			}
			n++
		}
		b.i64 = v
	case c.Kind == schema.KindInt:
		v := b.i64
		for i := from; i < to; i++ {
			x := rows.Row(i).Int(c)
			v = append(v, x.V)
			if x.Valid {
				valid[n>>3] |= 1 << (n & 7)
			} else {
				v[len(v)-1] = 0
				b.nulls++
			}
			n++
		}
		b.i64 = v
	case c.Kind == schema.KindDate:
		v := b.i32
		for i := from; i < to; i++ {
			d := rows.Row(i).Date(c)
			v = append(v, d.Days)
			if d.Valid {
				valid[n>>3] |= 1 << (n & 7)
			} else {
				v[len(v)-1] = 0
				b.nulls++
			}
			n++
		}
		b.i32 = v
	}
	b.n = n
	for i := n0; i < n; i++ {
		b.def = append(b.def, int16(valid[i>>3]>>(i&7)&1))
	}
	return nil
}

// size is the number of bytes the column buffers hold.
func (b *column) size() int {
	return 4*len(b.idx) + len(b.valid) + 2*len(b.def) + len(b.str) + 4*len(b.off) + 16*len(b.dec) + 8*len(b.i64) + 4*len(b.i32)
}

// array wraps the buffers as an Arrow array without copying. The array is
// valid until the next reset. Dictionary columns have none: see rgDict.
func (b *column) array() arrow.Array {
	if b.dict {
		return nil
	}
	b.buf[0] = memory.NewBufferBytes(b.valid[:bitutil.BytesForBits(int64(b.n))])
	var bufs []*memory.Buffer
	switch b.c.Kind {
	case schema.KindString:
		b.buf[1] = memory.NewBufferBytes(bytesOf(b.off))
		b.buf[2] = memory.NewBufferBytes(b.str)
		bufs = b.buf[:3]
	case schema.KindMoney, schema.KindRate:
		b.buf[1] = memory.NewBufferBytes(bytesOf(b.dec))
		bufs = b.buf[:2]
	case schema.KindTimestamp, schema.KindInt:
		b.buf[1] = memory.NewBufferBytes(bytesOf(b.i64))
		bufs = b.buf[:2]
	case schema.KindDate:
		b.buf[1] = memory.NewBufferBytes(bytesOf(b.i32))
		bufs = b.buf[:2]
	}
	data := array.NewData(b.dt, b.n, bufs, nil, b.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// reset empties the column and keeps its capacity.
func (b *column) reset() {
	clear(b.valid)
	b.valid = b.valid[:0]
	b.n, b.nulls = 0, 0
	b.def = b.def[:0]
	b.i64, b.i32, b.dec, b.str = b.i64[:0], b.i32[:0], b.dec[:0], b.str[:0]
	clear(b.newVals)
	b.idx, b.newVals = b.idx[:0], b.newVals[:0]
	if b.off != nil {
		b.off = b.off[:1]
	}
	b.buf = [3]*memory.Buffer{}
}

// rgDict gathers a dictionary column over a whole row group: the Parquet
// writer takes a dictionary-encoded column as one Arrow dictionary array
// whose dictionary must not change within the column chunk, so the indices
// are written when the row group closes. That costs 6 bytes a row and skips
// the writer's own per-value hashing.
type rgDict struct {
	vals  []string // the dictionary, in index order
	idx   []int32
	def   []int16
	nulls int
}

// add appends one chunk's part of the column.
func (d *rgDict) add(b *column) {
	d.vals = append(d.vals, b.newVals...)
	d.idx = append(d.idx, b.idx...)
	d.def = append(d.def, b.def...)
	d.nulls += b.nulls
}

// array builds the row group's dictionary array.
func (d *rgDict) array() arrow.Array {
	n := len(d.idx)
	valid := make([]byte, bitutil.BytesForBits(int64(n)))
	for i, l := range d.def {
		if l != 0 {
			bitutil.SetBit(valid, i)
		}
	}
	size := 0
	for _, v := range d.vals {
		size += len(v)
	}
	off := make([]int32, 0, len(d.vals)+1)
	str := make([]byte, 0, size)
	off = append(off, 0)
	for _, v := range d.vals {
		str = append(str, v...)
		off = append(off, int32(len(str)))
	}
	dictData := array.NewData(typeString, len(d.vals),
		[]*memory.Buffer{nil, memory.NewBufferBytes(bytesOf(off)), memory.NewBufferBytes(str)}, nil, 0, 0)
	defer dictData.Release()
	values := array.MakeFromData(dictData)
	defer values.Release()
	idxData := array.NewData(arrow.PrimitiveTypes.Int32, n,
		[]*memory.Buffer{memory.NewBufferBytes(valid), memory.NewBufferBytes(bytesOf(d.idx))}, nil, d.nulls, 0)
	defer idxData.Release()
	indices := array.MakeFromData(idxData)
	defer indices.Release()
	return array.NewDictionaryArray(dictType, indices, values)
}

// reset empties the row group's dictionary and keeps its capacity.
func (d *rgDict) reset() {
	clear(d.vals)
	d.vals, d.idx, d.def, d.nulls = d.vals[:0], d.idx[:0], d.def[:0], 0
}

var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: typeString}

// bytesOf views a slice of fixed-size values as bytes.
func bytesOf[T int32 | int64 | decimal128.Num](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(zero)))
}
