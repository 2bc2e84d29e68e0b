package pipelines

import (
	"fmt"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/transforms"
	"github.com/leadpipe/leadpipe/transforms/columns"
	"github.com/leadpipe/leadpipe/transforms/filter"
	"github.com/leadpipe/leadpipe/transforms/privacy"
	"github.com/leadpipe/leadpipe/transforms/statusmap"
)

// resolveTransforms compiles a pipeline's transforms, every problem with
// its line:
//
//   - filter, status_map and privacy become steps that run on each batch,
//     in the order written, before any byte reaches storage;
//   - select and rename become a projection of the sink's files;
//   - a pipeline without a privacy transform gets the safe default policy,
//     run last (so filters see the values as the vendor sent them).
//
// A push pipeline takes only a privacy transform: its policy applies to
// what leadpipe stores of the run (receipts, rejects, the ledger), never to
// what it sends.
func resolveTransforms(f *config.File, plan *Plan) {
	v, p := f.V, f.Pipeline
	push := p.Push != nil
	var chain transforms.Chain
	var policy *privacy.Policy
	proj := columns.NewBuilder()
	for i, t := range p.Transforms {
		at := fmt.Sprintf("transforms[%d]", i)
		switch {
		case t.Privacy.Kind != 0:
			if policy != nil {
				v.Errorf(at+".privacy", "a pipeline has one privacy policy; merge this one into the one above")
				continue
			}
			policy = privacy.Compile(v, at+".privacy", &t.Privacy, push, declared(plan))
			if !push {
				chain = append(chain, policy)
			}
		case push:
			v.Errorf(at, "a push pipeline takes only a privacy transform (the policy for its receipts, rejects and "+
				"ledger); shape what is sent in push.fields")
		case t.Filter.Kind != 0:
			if fl := filter.Compile(v, f.Path, at+".filter", &t.Filter); fl != nil {
				chain = append(chain, fl)
			}
		case t.Select != nil:
			proj.Select(v, at+".select", t.Select)
		case t.Rename != nil:
			proj.Rename(v, at+".rename", t.Rename)
		case t.StatusMap != nil:
			if sm := statusmap.Compile(v, at+".status_map", t.StatusMap); sm != nil {
				chain = append(chain, sm)
			}
		case t.Dedupe:
			v.Errorf(at+".dedupe", "is not available yet: tables are changelogs, and readers take the latest row per "+
				"*_uid (see \"Querying the lake\" in the README)")
		}
	}
	if policy == nil {
		if push {
			policy = privacy.DefaultPush()
		} else {
			policy = privacy.Default(declared(plan))
			chain = append(chain, policy)
		}
	}
	plan.Privacy = policy
	plan.Transforms = chain
	if p.Sink != nil {
		pr, err := proj.Build()
		if err != nil {
			v.Errorf("transforms", "%v", err)
			return
		}
		plan.Projection = pr
		if plan.Sink != nil {
			plan.Sink = pr.Format(plan.Sink)
		}
	}
}

// declared is what the pull's connector declares of the attribute keys it
// writes (nil without a connector: every key is judged by its name).
func declared(plan *Plan) privacy.Declared {
	if plan.Source == nil {
		return nil
	}
	return plan.Source.Attributes
}
