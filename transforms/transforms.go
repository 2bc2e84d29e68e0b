// Package transforms holds the steps between a source and a sink: filters,
// column selection and renaming, status-map overrides and the privacy
// policy for pull pipelines, and (in transforms/mapping) the field mapping of
// push pipelines. Vendor → canonical normalization lives with each connector,
// which knows its vendor; the shared parsing helpers it uses are in
// transforms/normalize.
package transforms

import (
	"context"

	"github.com/leadpipe/leadpipe/schema"
)

// Step transforms a batch in place. Steps run in the order the pipeline
// lists them, before any byte reaches storage.
type Step interface {
	Apply(ctx context.Context, b *schema.Batch) error
}

// Chain runs steps in order.
type Chain []Step

// Apply runs every step.
func (c Chain) Apply(ctx context.Context, b *schema.Batch) error {
	for _, s := range c {
		if err := s.Apply(ctx, b); err != nil {
			return err
		}
	}
	return nil
}
