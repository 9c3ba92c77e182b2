package idp

import (
	"bufio"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeSMTP accepts one message and sends its data on the channel.
func fakeSMTP(t *testing.T) (addr string, got <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		rd := bufio.NewReader(c)
		say := func(s string) { _, _ = c.Write([]byte(s + "\r\n")) }
		say("220 fake ESMTP")
		var data strings.Builder
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 fake")
			case strings.HasPrefix(cmd, "DATA"):
				say("354 go ahead")
				for {
					l, err := rd.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				say("250 queued")
				ch <- data.String()
			case strings.HasPrefix(cmd, "QUIT"):
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}()
	return ln.Addr().String(), ch
}

func TestResetLinkBySMTP(t *testing.T) {
	addr, got := fakeSMTP(t)
	e := newEnv(t, func(c *Config) { c.SMTPURL = "smtp://" + addr + "/?from=" + url.QueryEscape("auth@example.com") })
	e.fixture()
	b := newBrowser(t, appURL)
	_, page := b.get(e.issuer + "reset")
	b.post(e.issuer+"reset", url.Values{"csrf_token": {formField(t, csrfRe, page)}, "email": {userMail}})
	select {
	case msg := <-got:
		if !strings.Contains(msg, "To: "+userMail) || !strings.Contains(msg, e.issuer+"reset/confirm?token=") {
			t.Fatalf("mail: %s", msg)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no mail sent")
	}
}
