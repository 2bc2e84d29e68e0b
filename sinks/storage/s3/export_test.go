package s3

// SetCopyParts makes Rename copy objects larger than limit in parts of
// partSize, and returns a function that restores the defaults.
func SetCopyParts(limit, partSize int64) (restore func()) {
	l, p := copyLimit, copyPartSize
	copyLimit, copyPartSize = limit, partSize
	return func() { copyLimit, copyPartSize = l, p }
}

// LocalEndpoint is localEndpoint, for tests.
var LocalEndpoint = localEndpoint
