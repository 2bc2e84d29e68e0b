package pipelines

import (
	"context"
	"fmt"
	"strings"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sources/attachments"
	"github.com/leadpipe/leadpipe/sources/file"
	"github.com/leadpipe/leadpipe/transforms/mapping"
)

// PushPlan is the resolved push half of a pipeline.
type PushPlan struct {
	Spec       *connectors.Spec
	Config     any
	Target     string
	Fields     []connectors.Field
	Mapping    *mapping.Mapping
	KeyColumns []string
	OnChange   string
	Input      string
	InputOpts  file.Options
	// InputLine and KeyLine are the lines of source.file.path and push.key,
	// for messages about the input and its columns.
	InputLine, KeyLine int
	// AttachmentsDir is where the files rows name are read from (a local
	// absolute path or s3://); FileFields are the mapped fields that name
	// them. Only files under it can be attached (sources/attachments).
	AttachmentsDir string
	FileFields     []string
	Receipts       string
	Rejects        string
	Parquet        bool
	RateLimit      float64
	Concurrency    int
}

func resolvePush(ctx context.Context, f *config.File, p *config.Pipeline) *PushPlan {
	v := f.V
	pp := &PushPlan{
		KeyColumns: p.Push.Key, OnChange: p.Push.OnChange, Parquet: p.Push.ReceiptsParquet,
		RateLimit: p.Push.RateLimit, Concurrency: p.Push.Concurrency, Target: p.Push.Target,
	}
	pp.InputLine, pp.KeyLine = v.Line("source.file.path"), v.Line("push.key")
	if fs := p.Source.File; fs != nil {
		pp.Input = f.Resolve(fs.Path)
		pp.InputOpts = file.Options{Format: fs.Format, Delimiter: fs.Delimiter, Encoding: fs.Encoding, MaxLineBytes: fs.MaxLineBytes,
			Storage: StorageOptions(fs.Storage)}
		dir, _ := storage.Split(pp.Input)
		pp.Receipts, pp.Rejects = dir+"/receipts", dir+"/rejects"
	}
	if p.Push.Receipts != "" {
		pp.Receipts = f.Resolve(p.Push.Receipts)
	}
	if p.Push.Rejects != "" {
		pp.Rejects = f.Resolve(p.Push.Rejects)
	}
	if p.Push.Connector == "" {
		return pp
	}
	before := len(f.Problems().Errors())
	pp.Spec, pp.Config = resolveConnector(v, "push", p.Push.Connector, &p.Push.Config, false)
	if pp.Spec == nil {
		return pp
	}
	var names []string
	for _, t := range pp.Spec.Targets {
		names = append(names, t.Name)
	}
	if len(names) == 0 {
		v.Errorf("push.connector", "connector %s cannot push", pp.Spec.Name)
		return pp
	}
	found := false
	for _, t := range pp.Spec.Targets {
		if t.Name == pp.Target {
			found = true
			if pp.OnChange == "update" && !t.Update {
				v.Errorf("push.on_change", "target %s of %s cannot update rows sent before; use skip", t.Name, pp.Spec.Name)
			}
		}
	}
	if !found {
		v.Errorf("push.target", "connector %s has no push target %q (targets: %s)", pp.Spec.Name, pp.Target, strings.Join(names, ", "))
		return pp
	}
	if len(f.Problems().Errors()) > before {
		return pp // the connector config is wrong; its fields cannot be known
	}
	conn, err := pp.Spec.New(pp.Config, connectors.Env{Pipeline: p.Name})
	if err != nil {
		v.Errorf("push.config", "%v", err)
		return pp
	}
	defer connectors.CloseQuietly(conn)
	pusher, ok := conn.(connectors.Pusher)
	if !ok {
		v.Errorf("push.connector", "connector %s cannot push", pp.Spec.Name)
		return pp
	}
	t, err := pusher.Target(ctx, pp.Target)
	if err != nil {
		v.Errorf("push.target", "%v", err)
		return pp
	}
	pp.Fields = pp.Spec.TargetFields(pp.Target, t.Fields())
	pp.Mapping = mapping.Compile(v, "push.fields", &p.Push.Fields, pp.Fields)
	resolveAttachments(f, p, pp)
	return pp
}

// resolveAttachments checks push.attachments_dir against the file fields
// the mapping fills: files named by data are read only from under a
// directory the pipeline declares.
func resolveAttachments(f *config.File, p *config.Pipeline, pp *PushPlan) {
	v := f.V
	names, paths := pp.Mapping.FieldsOfType(connectors.TypeFile)
	pp.FileFields = names
	if p.Push.AttachmentsDir == "" {
		for i, name := range names {
			v.Errorf(paths[i], "%s names a file to upload: declare push.attachments_dir, the directory (relative to this file, or s3://bucket/prefix) those files are under; no file outside it can be sent", name)
		}
		return
	}
	pp.AttachmentsDir = f.Resolve(p.Push.AttachmentsDir)
	if _, err := attachments.New(pp.AttachmentsDir, StorageOptions(p.Push.Storage)); err != nil {
		v.Errorf("push.attachments_dir", "%v", err)
	}
	if len(names) == 0 {
		v.Warnf("push.attachments_dir", "no field of target %s is mapped to a file: the directory is not used", pp.Target)
	}
}

// PushSummary counts a push run's outcomes.
type PushSummary struct {
	Total            int `json:"total"`
	Submitted        int `json:"submitted"`
	Updated          int `json:"updated,omitempty"`
	SkippedDuplicate int `json:"skipped_duplicate"`
	Rejected         int `json:"rejected"`
	Failed           int `json:"failed"`
	// Unknown and Retry are failed rows the next run takes care of by
	// itself: Unknown may have reached the vendor (it is looked up before
	// anything is resent), Retry certainly did not (rate limited, stopped).
	// The rest of Failed the vendor refused: they are sent again only once
	// the row changes.
	Unknown    int `json:"unknown,omitempty"`
	Retry      int `json:"retry,omitempty"`
	NeedsHuman int `json:"needs_human"`
	// Waiting rows were not sent because the vendor does not accept them
	// yet; the next run tries again.
	Waiting       int       `json:"waiting,omitempty"`
	Recovered     int       `json:"recovered,omitempty"`
	WouldSend     int       `json:"would_send,omitempty"`
	Receipts      string    `json:"receipts,omitempty"`
	RejectsFile   string    `json:"rejects,omitempty"`
	Previews      []Preview `json:"-"`
	Human         []string  `json:"needs_human_rows,omitempty"`
	RejectSamples []string  `json:"-"`
}

// Preview is what a dry run would send for one row.
type Preview struct {
	Row    int
	Key    string
	Action string
	Body   string
}

func (s *PushSummary) String() string {
	out := fmt.Sprintf("%d rows: %d submitted, %d skipped, %d rejected, %d failed, %d need a human",
		s.Total, s.Submitted, s.SkippedDuplicate, s.Rejected, s.Failed, s.NeedsHuman)
	if s.Waiting > 0 {
		out += fmt.Sprintf(", %d waiting", s.Waiting)
	}
	return out
}

// Unsent counts the rows a run left neither sent nor skipped: rejected,
// failed (whatever the next run does with them) or needing a human. Only a
// run where it is 0 has done its whole job; a row waiting for the vendor
// is not counted (the vendor asked for it to wait).
func (s *PushSummary) Unsent() int { return s.Rejected + s.Failed + s.NeedsHuman }

// Remains says in one line what a push run left to do and who does it.
// scope names the pipeline in the commands it suggests.
func (s *PushSummary) Remains(pipeline string) string {
	var parts []string
	if s.Rejected > 0 {
		where := "see the rejects file"
		if s.RejectsFile != "" {
			where = s.RejectsFile
		}
		parts = append(parts, fmt.Sprintf("%d rejected before sending: fix them in the input (%s) and rerun", s.Rejected, where))
	}
	if refused := s.Failed - s.Unknown - s.Retry; refused > 0 {
		parts = append(parts, fmt.Sprintf("%d refused by the vendor: fix the rows (reasons in the receipts); a changed row is sent again", refused))
	}
	if s.Unknown > 0 {
		parts = append(parts, fmt.Sprintf("%d with an unknown outcome: rerun; the next run asks the vendor before resending", s.Unknown))
	}
	if s.Retry > 0 {
		parts = append(parts, fmt.Sprintf("%d not sent (rate limited or stopped): rerun to send them", s.Retry))
	}
	if s.NeedsHuman > 0 {
		parts = append(parts, fmt.Sprintf("%d need a human: check each at the vendor, then `leadpipe ledger resolve --pipeline %s KEY --vendor-id ID` if it arrived, or `leadpipe ledger forget --pipeline %s KEY` if not",
			s.NeedsHuman, pipeline, pipeline))
	}
	if s.Waiting > 0 {
		parts = append(parts, fmt.Sprintf("%d waiting until the vendor accepts them: the next run tries again", s.Waiting))
	}
	if s.Unsent() == 0 {
		if s.Waiting > 0 {
			return fmt.Sprintf("every row is sent or was sent before, except %d waiting until the vendor accepts them: the next run tries again", s.Waiting)
		}
		return "every row is sent or was sent before"
	}
	return fmt.Sprintf("%d of %d rows not sent: %s", s.Unsent(), s.Total, strings.Join(parts, "; "))
}
