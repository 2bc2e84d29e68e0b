// Package all registers every connector and every vendor sandbox. Import it
// for its side effects; adding a vendor means adding a folder and one line
// here.
package all

import (
	_ "github.com/leadpipe/leadpipe/connectors/bizcap"
	_ "github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	_ "github.com/leadpipe/leadpipe/connectors/iute"
	_ "github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	_ "github.com/leadpipe/leadpipe/connectors/lofty"
	_ "github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
	_ "github.com/leadpipe/leadpipe/connectors/lumi"
	_ "github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	_ "github.com/leadpipe/leadpipe/connectors/lumire"
	_ "github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
)
