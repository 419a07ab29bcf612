package notifytest

import (
	"bytes"
	"io"
	"mime"
	"net"
	"net/mail"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Message is one e-mail the test SMTP server received, parsed.
type Message struct {
	From    string
	To      []string
	Subject string
	Header  mail.Header
	Raw     []byte
}

// SMTPServer is a real SMTP server (go-smtp) on a loopback port that keeps
// what it receives, for tests of e-mail delivery.
type SMTPServer struct {
	Addr string // host:port
	mu   sync.Mutex
	msgs []Message
	got  chan struct{}
}

// StartSMTP starts a server for the test's lifetime.
func StartSMTP(tb testing.TB) *SMTPServer {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &SMTPServer{Addr: l.Addr().String(), got: make(chan struct{}, 1)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go func() { _ = srv.Serve(l) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return s
}

// URL is the --smtp-url of the server.
func (s *SMTPServer) URL() string { return "smtp://" + s.Addr }

// Messages returns what has arrived so far.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Arrived is signalled (without blocking) after each message.
func (s *SMTPServer) Arrived() <-chan struct{} { return s.got }

type session struct {
	s    *SMTPServer
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		subject = m.Header.Get("Subject")
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: append([]string(nil), x.to...), Subject: subject, Header: m.Header, Raw: raw})
	x.s.mu.Unlock()
	select {
	case x.s.got <- struct{}{}:
	default:
	}
	return nil
}
