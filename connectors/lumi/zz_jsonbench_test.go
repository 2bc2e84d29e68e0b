package lumi

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	gojson "github.com/goccy/go-json"
)

func lines(b *testing.B) [][]byte {
	f, _ := os.Open("/tmp/bench/leads-100000.jsonl")
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out [][]byte
	for sc.Scan() && len(out) < 2000 {
		out = append(out, append([]byte{}, sc.Bytes()...))
	}
	return out
}

func BenchmarkStd(b *testing.B) {
	ls := lines(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var w wireLead
		if err := json.Unmarshal(ls[i%len(ls)], &w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGoccy(b *testing.B) {
	ls := lines(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var w wireLead
		if err := gojson.Unmarshal(ls[i%len(ls)], &w); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalize(b *testing.B) {
	ls := lines(b)
	ws := make([]wireLead, len(ls))
	for i := range ls {
		json.Unmarshal(ls[i], &ws[i])
	}
	n := &normalizer{region: "AU", currency: "AUD"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = n.lead(&ws[i%len(ws)])
	}
}
