package httpclient

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// redacted replaces every secret in error strings, log lines and URLs.
const redacted = "REDACTED"

// minDerivedSecret is the shortest value the client redacts when it finds it
// by itself (a query parameter named like a secret, a cookie value). Shorter
// values would mangle unrelated text. Secrets registered explicitly (AddSecret,
// SetBasicAuth...) are always redacted, whatever their length.
const minDerivedSecret = 4

// snippetLen caps the body snippet in error messages.
const snippetLen = 256

// secretWords are the name fragments that make a query parameter, a header or
// a JSON field "secret-looking" (matched case-insensitively as substrings).
var secretWords = []string{
	"token", "key", "password", "passwd", "pwd", "secret", "signature",
	"credential", "session", "cookie", "auth",
}

// secretName reports whether a parameter, header or field name looks like it
// holds a secret: api_key, apikey, access_token, X-Api-Key, password, sig...
func secretName(name string) bool {
	n := strings.ToLower(name)
	if n == "sig" {
		return true
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

var (
	// "Bearer abc.def", "Basic dXNlcjpwYXNz".
	reAuthScheme = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]+=*`)
	// api_key=abc, "password": "x", access_token: y. The value is either a
	// JSON string or a run of characters up to a separator.
	reSecretKV = regexp.MustCompile(`(?i)("?[a-z0-9_.\-]*(?:token|key|passw(?:or)?d|pwd|secret|signature|credential|session|cookie|auth)[a-z0-9_.\-]*"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s&,;"'<>}\])\\]+)`)
	// scheme://user:password@host
	reUserinfo = regexp.MustCompile(`(://[^/\s:@]*:)[^/\s@]+@`)
)

// redactPatterns removes secret-looking key/value pairs, Authorization values
// and URL passwords from free text (a body snippet, a transport error).
func redactPatterns(s string) string {
	s = reAuthScheme.ReplaceAllString(s, "${1} "+redacted)
	s = reSecretKV.ReplaceAllStringFunc(s, func(m string) string {
		sub := reSecretKV.FindStringSubmatch(m)
		if v := strings.ToLower(sub[2]); v == "bearer" || v == "basic" || v == redacted {
			return m // "Authorization: Bearer REDACTED" already hides the credential
		}
		if strings.HasPrefix(sub[2], `"`) {
			return sub[1] + `"` + redacted + `"`
		}
		return sub[1] + redacted
	})
	return reUserinfo.ReplaceAllString(s, "${1}"+redacted+"@")
}

// secretSet is a list of secret strings compiled into one replacer.
type secretSet struct {
	list   []string
	maxLen int
	rep    *strings.Replacer // nil when list is empty
}

// newSecretSet builds a replacer for secrets and their common encodings
// (URL query and path escaping, JSON string escaping), longest first so that a
// secret containing another one is replaced whole.
func newSecretSet(secrets ...[]string) *secretSet {
	seen := map[string]bool{}
	var all []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			all = append(all, s)
		}
	}
	for _, list := range secrets {
		for _, s := range list {
			add(s)
			add(url.QueryEscape(s))
			add(url.PathEscape(s))
			if j, err := json.Marshal(s); err == nil {
				inner := string(j[1 : len(j)-1])
				add(inner)
				add(strings.ReplaceAll(inner, "/", `\/`)) // encoders that escape '/'
			}
		}
	}
	slices.SortFunc(all, func(a, b string) int { return len(b) - len(a) })
	set := &secretSet{list: all}
	if len(all) > 0 {
		set.maxLen = len(all[0])
		pairs := make([]string, 0, 2*len(all))
		for _, s := range all {
			pairs = append(pairs, s, redacted)
		}
		set.rep = strings.NewReplacer(pairs...)
	}
	return set
}

func (s *secretSet) replace(text string) string {
	if s == nil || s.rep == nil {
		return text
	}
	return s.rep.Replace(text)
}

// redactURL hides the password of the userinfo and the values of
// secret-looking query parameters, keeping everything else readable:
// https://user:REDACTED@host/v1/leads?api_key=REDACTED&page=3.
func redactURL(u *url.URL) string {
	c := *u
	if c.User != nil {
		if _, has := c.User.Password(); has {
			c.User = url.UserPassword(c.User.Username(), redacted)
		}
	}
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			name, _, hasValue := strings.Cut(p, "=")
			if dec, err := url.QueryUnescape(name); err == nil {
				name = dec
			}
			if hasValue && secretName(name) {
				parts[i] = p[:strings.IndexByte(p, '=')+1] + redacted
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.String()
}

// requestSecrets finds the secrets a request carries by itself: the URL
// password (and the Basic credential net/http derives from it), the values of
// secret-looking query parameters, the Authorization and Cookie headers and
// any header named like a secret.
func requestSecrets(req *http.Request) []string {
	var out []string
	derived := func(v string) {
		if len(v) >= minDerivedSecret {
			out = append(out, v)
		}
	}
	if u := req.URL; u != nil {
		if u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				out = append(out, p, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p)))
			}
		}
		for name, vals := range u.Query() {
			if secretName(name) {
				for _, v := range vals {
					derived(v)
				}
			}
		}
	}
	for name, vals := range req.Header {
		switch {
		case name == "Authorization" || name == "Proxy-Authorization":
			for _, v := range vals {
				derived(v)
				if _, cred, ok := strings.Cut(v, " "); ok {
					derived(strings.TrimSpace(cred))
				}
			}
		case name == "Cookie":
			for _, v := range vals {
				derived(v)
				for _, ck := range strings.Split(v, ";") {
					if _, val, ok := strings.Cut(ck, "="); ok {
						derived(strings.TrimSpace(val))
					}
				}
			}
		case secretName(name):
			for _, v := range vals {
				derived(v)
			}
		}
	}
	return out
}

// redactHeader copies a response header, dropping the values of cookies and
// secret-looking headers and replacing known secrets in the others.
func redactHeader(h http.Header, secrets *secretSet) http.Header {
	out := make(http.Header, len(h))
	for name, vals := range h {
		cp := make([]string, len(vals))
		for i, v := range vals {
			if name == "Set-Cookie" || secretName(name) {
				cp[i] = redacted
			} else {
				cp[i] = secrets.replace(v)
			}
		}
		out[name] = cp
	}
	return out
}

// snippet returns a short, single-line, redacted excerpt of b. Redaction runs
// before truncation so that a secret cut in half by the limit cannot leak its
// first half.
func snippet(b []byte, secrets *secretSet) string {
	window := 4096
	if secrets != nil {
		// Keep whole any secret that starts inside the window.
		window += secrets.maxLen
	}
	long := len(b) > window
	if long {
		b = b[:window]
	}
	s := redactPatterns(secrets.replace(strings.ToValidUTF8(string(b), "\uFFFD")))
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > snippetLen {
		cut := snippetLen
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, long = s[:cut], true
	}
	if long {
		s += "…"
	}
	return s
}
