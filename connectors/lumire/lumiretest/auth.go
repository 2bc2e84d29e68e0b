package lumiretest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// authenticate resolves the caller from the API-key header or the session
// cookie. It returns nil and the 401 message when neither is valid.
func (s *Server) authenticate(r *http.Request) (*principal, string) {
	if key := r.Header.Get(APIKeyHeader); key != "" {
		if subtle.ConstantTimeCompare([]byte(key), []byte(APIKey)) == 1 {
			s.mu.RLock()
			u := s.me
			s.mu.RUnlock()
			return &principal{user: u, method: "api_key"}, ""
		}
		return nil, "Invalid API key"
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, "Unauthorized"
	}
	now := s.clock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	sess := s.sessions[c.Value]
	if sess == nil || sess.revoked {
		return nil, "Unauthorized"
	}
	if sess.expired || !now.Before(sess.expiresAt) {
		return nil, "Session expired"
	}
	for _, u := range s.users {
		if u.ID == sess.userID {
			return &principal{user: u, method: "session"}, ""
		}
	}
	return nil, "Unauthorized"
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// login implements POST /v1/auth/login.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	body, _, err := decodeObject(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	v := newValidator(body, "email", "password", "totpCode", "tenantSlug")
	email := v.email("email", true)
	password := v.str("password", true, 200)
	totp := v.str("totpCode", false, 12)
	tenant := v.str("tenantSlug", true, 100)
	if errs := v.finish(); len(errs) > 0 {
		writeError(w, http.StatusBadRequest, errs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.EqualFold(*email, s.me.Email) || *password != Password || *tenant != s.tenant.Slug {
		writeError(w, http.StatusUnauthorized, "Invalid credentials")
		return
	}
	if s.totp != "" {
		if totp == nil || *totp == "" {
			writeError(w, http.StatusUnauthorized, "TOTP code required")
			return
		}
		if *totp != s.totp {
			writeError(w, http.StatusUnauthorized, "Invalid TOTP code")
			return
		}
	}
	now := s.clock()
	sess := &session{token: newToken(), userID: s.me.ID, expiresAt: now.Add(s.sessionTTL)}
	s.sessions[sess.token] = sess
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    sess.token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, map[string]any{
		"user":      s.me,
		"tenant":    s.tenant,
		"expiresAt": TS(sess.expiresAt),
	})
}

// logout implements POST /v1/auth/logout. It always answers 200 and clears
// the cookie; a valid session is revoked.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ []string, _ *principal) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		s.mu.Lock()
		if sess := s.sessions[c.Value]; sess != nil {
			sess.revoked = true
		}
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// authMe implements GET /v1/auth/me.
func (s *Server) authMe(w http.ResponseWriter, _ *http.Request, _ []string, p *principal) {
	s.mu.RLock()
	t := s.tenant
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"user": p.user, "tenant": t, "authMethod": p.method})
}

// ExpireSessions expires every session issued so far: their next request
// answers 401 {"statusCode":401,"message":"Session expired",...}. Logging in
// again issues a fresh session.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		sess.expired = true
	}
}

// SetSessionTTL sets the lifetime of sessions issued from now on (measured
// on the Options clock). d <= 0 restores DefaultSessionTTL.
func (s *Server) SetSessionTTL(d time.Duration) {
	if d <= 0 {
		d = DefaultSessionTTL
	}
	s.mu.Lock()
	s.sessionTTL = d
	s.mu.Unlock()
}

// RequireTOTP enrols the sandbox user in TOTP: from now on login needs
// "totpCode": code. An empty code disables TOTP again. (Real TOTP codes
// rotate; the sandbox accepts one fixed code.)
func (s *Server) RequireTOTP(code string) {
	s.mu.Lock()
	s.totp = code
	s.mu.Unlock()
}

// SessionCount returns how many sessions were issued (logins that succeeded).
func (s *Server) SessionCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.sessions)
}
