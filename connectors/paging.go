package connectors

import "context"

// FetchPages fetches pages 2..pages concurrently (at most conc in flight or
// waiting to be handled) and calls handle for each in page order. Page 1 is
// the caller's: it is how the caller learns the total. Memory stays bounded
// by conc pages whatever the number of pages.
func FetchPages[T any](ctx context.Context, conc, pages int, fetch func(ctx context.Context, page int) (T, error), handle func(page int, v T) error) error {
	if pages < 2 {
		return nil
	}
	conc = max(conc, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		v   T
		err error
	}
	results := make([]chan result, pages+1)
	for p := 2; p <= pages; p++ {
		results[p] = make(chan result, 1)
	}
	slots := make(chan struct{}, conc)
	go func() {
		for p := 2; p <= pages; p++ {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(p int) {
				v, err := fetch(ctx, p)
				results[p] <- result{v, err}
			}(p)
		}
	}()
	for p := 2; p <= pages; p++ {
		var r result
		select {
		case r = <-results[p]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if r.err != nil {
			return r.err
		}
		if err := handle(p, r.v); err != nil {
			return err
		}
	}
	return nil
}

// Pages is the number of pages of size holding total records.
func Pages(total, size int) int {
	if total <= 0 || size <= 0 {
		return 0
	}
	return (total + size - 1) / size
}
