package pipelines

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

// SaltName is the name of the salt leadpipe generates and keeps in the
// state store for pipelines whose privacy policy names none.
const SaltName = "privacy"

// bindSalt gives the plan's privacy policy the salt of this run: the one
// the pipeline file sets, or else the state store's, generated (with a
// warning) the first time. Hashes are therefore stable across runs, and
// across pipelines sharing a state store.
func bindSalt(ctx context.Context, plan *Plan, store *state.Store, log *slog.Logger) error {
	pol := plan.Privacy
	if pol == nil || pol.HasSalt() {
		return nil
	}
	salt, created, err := store.Salt(ctx, SaltName)
	if err != nil {
		return err
	}
	pol.SetSalt(salt)
	if created {
		log.Warn("privacy: no salt is configured, so leadpipe generated one and keeps it in the state store; "+
			"hashes stay the same for as long as this state store lives. Set privacy.salt: ${LEADPIPE_PII_SALT} "+
			"to share hashes across state stores, and guard the state store like a credential",
			"state", store.Path())
	}
	return nil
}

// bindPullPrivacy binds the salt of a pull run and notes it.
func bindPullPrivacy(ctx context.Context, plan *Plan, store *state.Store, log *slog.Logger, dry bool) error {
	if err := bindSalt(ctx, plan, store, log); err != nil {
		return err
	}
	if dry || plan.Privacy == nil {
		return nil
	}
	return noteSalt(ctx, plan, store, log)
}

// noteSalt compares the salt with the one the pipeline hashed with last
// time, warns when it changed (old and new hashes no longer join), and
// records it.
func noteSalt(ctx context.Context, plan *Plan, store *state.Store, log *slog.Logger) error {
	fp := plan.Privacy.Fingerprint()
	if fp == "" {
		return nil
	}
	prev, err := store.SaltFingerprint(ctx, plan.Name())
	if err != nil {
		return err
	}
	if prev != "" && prev != fp {
		log.Warn("privacy: the salt changed since this pipeline's last run: the hashes it writes from now on do not " +
			"match the ones already in the lake, so joins and distinct counts across the change break")
	}
	if prev == fp {
		return nil
	}
	return store.SetSaltFingerprint(ctx, plan.Name(), fp)
}

// bindPushPrivacy prepares the scrubbing of a push run's receipts, rejects
// and ledger. When the row keys are stored hashed, a salt that changed
// since rows were sent would make the ledger forget them, and they would be
// sent again: that stops the run instead.
func bindPushPrivacy(ctx context.Context, plan *Plan, store *state.Store, header []string, log *slog.Logger, dry bool) (*privacy.PushScrubber, error) {
	if plan.Privacy == nil {
		plan.Privacy = privacy.DefaultPush()
	}
	if err := bindSalt(ctx, plan, store, log); err != nil {
		return nil, err
	}
	pp := plan.Push
	var fields map[string]string
	var classes map[string]schema.PrivacyClass
	if pp.Mapping != nil {
		fields, classes = pp.Mapping.Columns(), pp.Mapping.Classes()
	}
	scrub, err := plan.Privacy.Push(plan.File.Path, header, fields, classes, pp.KeyColumns)
	if err != nil {
		return nil, err
	}
	if err := checkLedgerKeys(ctx, plan, store, scrub.KeyHashed(), dry); err != nil {
		return nil, err
	}
	if !dry {
		if err := noteSalt(ctx, plan, store, log); err != nil {
			return nil, err
		}
	}
	return scrub, nil
}

// checkLedgerKeys makes sure the push ledger's keys are in the form this
// run writes them: as they are, or hashed with this salt. A mismatch would
// make the ledger forget the rows already sent, and they would be sent
// again; that stops the run instead, with what to do.
func checkLedgerKeys(ctx context.Context, plan *Plan, store *state.Store, hashed, dry bool) error {
	pp := plan.Push
	form := "as-is"
	if hashed {
		form = "hmac:" + plan.Privacy.Fingerprint()
	}
	name := plan.Name() + "#ledger-keys"
	prev, err := store.SaltFingerprint(ctx, name)
	if err != nil {
		return err
	}
	if prev == "" {
		prev = "as-is" // ledgers written before the privacy policy existed
	}
	if prev != form {
		scopes, err := store.LedgerScopes(ctx, plan.Name())
		if err != nil {
			return err
		}
		keys := strings.Join(pp.KeyColumns, ", ")
		switch {
		case len(scopes) == 0:
		case prev == "as-is":
			return fmt.Errorf("%s: privacy: the key column(s) %s hold personal data, so the push ledger would store "+
				"row keys hashed; but this pipeline's ledger holds them as they are, and hashed keys would not find "+
				"those rows, which would be sent again. Keep the key as it is (privacy.columns: {%s: keep}) or key "+
				"the rows on another column", plan.File.Path, keys, pp.KeyColumns[0])
		case !hashed:
			return fmt.Errorf("%s: privacy: this pipeline's push ledger holds its row keys hashed, but the policy now "+
				"keeps the key column(s) %s as they are: rows already sent would not be recognised and would be sent "+
				"again. Restore the policy that hashed them", plan.File.Path, keys)
		default:
			return fmt.Errorf("%s: privacy: the salt changed since this pipeline last ran, and its push ledger holds "+
				"the row keys (%s) hashed with the old salt: rows already sent would not be recognised and would be "+
				"sent again. Restore the old salt (privacy.salt), or key the rows on a column the policy keeps",
				plan.File.Path, keys)
		}
	}
	if dry || prev == form {
		return nil
	}
	return store.SetSaltFingerprint(ctx, name, form)
}

// redact replaces the personal data in what is stored about a push row:
// its receipt and rejects. The ledger entries are scrubbed where they are
// written.
func (r *pushRun) redact(it *item) {
	rs := it.pii
	if rs == nil {
		rs = r.pii.Row(it.row.Values(), nil)
	}
	it.receipt.Error = rs.Text(it.receipt.Error)
	for i := range it.rejects {
		rj := &it.rejects[i]
		rj.Value = rs.Value(rj.Column, rj.Field, rj.Value)
		rj.Reason = rs.Text(rj.Reason)
	}
}

// scrubText replaces the row's personal data in text bound for the ledger.
func (it *item) scrubText(s string) string { return it.pii.Text(s) }

// scrubExtra scrubs the vendor values bound for the ledger.
func (it *item) scrubExtra(m map[string]string) map[string]string {
	if it.pii == nil {
		return m
	}
	return it.pii.Extra(m)
}
