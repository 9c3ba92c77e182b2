// Package pgcluster runs Postgate's embedded default database: a private
// PostgreSQL cluster under the data directory, created with the server
// binaries found on the machine, supervised while Postgate runs and stopped
// with it.
//
// Layout of the data directory:
//
//	pgdata/              the cluster (initdb on first start, reused later)
//	.s.PGSQL.<port>      the Unix socket
//	port                 the loopback TCP port of the last start
//	superuser-password   the password of the "postgres" role (mode 0600)
//	postgres.log         the server's own log
//	postgate.lock        held (flock) by the Postgate process using the cluster
package pgcluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	pgdataDir    = "pgdata"
	portFile     = "port"
	passwordFile = "superuser-password"
	lockFile     = "postgate.lock"
	logFile      = "postgres.log"
	superuser    = "postgres"
	databaseName = "postgres"

	maxRestarts  = 5
	restartReset = 10 * time.Minute
	readyTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// Option adjusts Start.
type Option func(*options)

type options struct {
	searchPath []string
	port       int
}

// WithSearchPath replaces the directories searched for the server binaries.
func WithSearchPath(dirs ...string) Option { return func(o *options) { o.searchPath = dirs } }

// WithPort makes the server listen on port instead of the remembered or a
// free one.
func WithPort(port int) Option { return func(o *options) { o.port = port } }

// Cluster is a running embedded PostgreSQL server.
type Cluster struct {
	dataDir  string
	pgdata   string
	binDir   string
	user     *osUser
	log      *slog.Logger
	password string
	lock     *os.File

	mu       sync.Mutex
	port     int
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the current postmaster exits
	stopping bool
	done     chan struct{} // closed when supervision ends
}

// Start initialises the cluster in dataDir when needed, starts it and waits
// until it accepts connections. The cluster is restarted (a bounded number of
// times) if the server dies unexpectedly, until Stop.
func Start(ctx context.Context, dataDir string, logger *slog.Logger, opts ...Option) (*Cluster, error) {
	o := options{searchPath: defaultSearchPath()}
	for _, opt := range opts {
		opt(&o)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	bin, err := findBinDir(o.searchPath)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dataDir, err)
	}
	u, err := serverUser()
	if err != nil {
		return nil, err
	}
	if err := u.ensureDir(abs); err != nil {
		return nil, err
	}
	c := &Cluster{dataDir: abs, pgdata: filepath.Join(abs, pgdataDir), binDir: bin, user: u,
		log: logger.With("type", "embedded-postgres"), done: make(chan struct{})}
	if c.lock, err = lockDir(abs); err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			c.lock.Close()
		}
	}()
	if err := c.initOnce(ctx); err != nil {
		return nil, err
	}
	if err := c.removeStaleLock(); err != nil {
		return nil, err
	}
	c.port = o.port
	if c.port == 0 {
		c.port = c.choosePort()
	}
	if err := os.WriteFile(filepath.Join(abs, portFile), []byte(strconv.Itoa(c.port)+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write port file: %w", err)
	}
	if err := c.launch(ctx); err != nil {
		return nil, err
	}
	started = true
	go c.supervise()
	c.log.Info("embedded PostgreSQL started", "data_dir", abs, "port", c.port, "bin_dir", bin)
	return c, nil
}

// URL is a connection string for the cluster's "postgres" database as its
// superuser, over loopback TCP.
func (c *Cluster) URL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := url.URL{Scheme: "postgres", User: url.UserPassword(superuser, c.password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), Path: "/" + databaseName, RawQuery: "sslmode=disable"}
	return u.String()
}

// Port is the loopback TCP port the server listens on.
func (c *Cluster) Port() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port
}

// DataDir is the absolute data directory.
func (c *Cluster) DataDir() string { return c.dataDir }

// Stop shuts the server down (PostgreSQL's fast shutdown) and waits for it.
// It is safe to call more than once.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	if c.stopping {
		c.mu.Unlock()
		<-c.done
		return nil
	}
	c.stopping = true
	cmd, exited := c.cmd, c.exited
	c.mu.Unlock()
	var err error
	if cmd != nil && cmd.Process != nil {
		err = terminate(cmd.Process, exited)
	}
	<-c.done
	c.lock.Close()
	if err == nil {
		c.log.Info("embedded PostgreSQL stopped", "data_dir", c.dataDir)
	}
	return err
}

// lockDir takes the data directory's lock file, which a running Postgate
// holds for as long as it uses the cluster.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", lockFile, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another Postgate process", dir)
	}
	return f, nil
}

// terminate asks the postmaster for a fast shutdown (SIGINT), escalating to
// an immediate shutdown (SIGQUIT) and SIGKILL if it does not exit in time.
func terminate(p *os.Process, exited <-chan struct{}) error {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL} {
		if err := p.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("signal postgres: %w", err)
		}
		select {
		case <-exited:
			return nil
		case <-time.After(stopTimeout):
		}
	}
	return errors.New("postgres did not exit after SIGKILL")
}

// initOnce runs initdb when pgdata holds no cluster yet, and remembers the
// superuser password.
func (c *Cluster) initOnce(ctx context.Context) error {
	pwPath := filepath.Join(c.dataDir, passwordFile)
	if _, err := os.Stat(filepath.Join(c.pgdata, "PG_VERSION")); err == nil {
		pw, err := os.ReadFile(pwPath)
		if err != nil {
			return fmt.Errorf("embedded cluster in %s has no readable %s: %w", c.dataDir, passwordFile, err)
		}
		c.password = strings.TrimSpace(string(pw))
		return nil
	}
	if entries, err := os.ReadDir(c.pgdata); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s exists but holds no PostgreSQL cluster (no PG_VERSION); remove it or choose another data directory", c.pgdata)
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	c.password = hex.EncodeToString(b)
	if err := os.WriteFile(pwPath, []byte(c.password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", passwordFile, err)
	}
	// initdb reads the password from a file the server user can read; it is
	// removed right after.
	tmp := filepath.Join(c.dataDir, ".initdb-pw")
	if err := os.WriteFile(tmp, []byte(c.password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := c.user.chown(tmp); err != nil {
		return err
	}
	c.log.Info("initialising embedded PostgreSQL cluster", "data_dir", c.pgdata)
	args := []string{"-D", c.pgdata, "-U", superuser, "-E", "UTF8", "--auth-local=scram-sha-256",
		"--auth-host=scram-sha-256", "--pwfile=" + tmp}
	out, err := c.run(ctx, "initdb", append(args, "--locale=C.UTF-8")...)
	if err != nil && strings.Contains(string(out), "locale") {
		_ = os.RemoveAll(c.pgdata)
		out, err = c.run(ctx, "initdb", append(args, "--no-locale")...)
	}
	if err != nil {
		_ = os.RemoveAll(c.pgdata)
		return fmt.Errorf("initdb failed: %v: %s", err, lastLines(string(out), 5))
	}
	return nil
}

// run executes a server tool as the server user and returns its output.
func (c *Cluster) run(ctx context.Context, tool string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, tool), args...)
	cmd.Dir = c.dataDir
	cmd.Env = serverEnv()
	c.user.apply(cmd)
	return cmd.CombinedOutput()
}

// serverEnv is the environment of server processes: the current one without
// libpq variables, in UTC.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "TZ=") || strings.HasPrefix(kv, "LC_") || strings.HasPrefix(kv, "LANG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TZ=UTC", "LANG=C.UTF-8")
}

// removeStaleLock prepares the data directory for a start: a postmaster.pid
// left by a server that is gone is deleted, and a server still running from
// a Postgate process that ended without stopping it (this process holds the
// directory's lock, so no other Postgate uses it) is shut down.
func (c *Cluster) removeStaleLock() error {
	lock := filepath.Join(c.pgdata, "postmaster.pid")
	b, err := os.ReadFile(lock)
	if err != nil {
		return nil
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if pid > 0 && processIsPostgres(pid, c.pgdata) {
		c.log.Warn("stopping the embedded PostgreSQL left running by an earlier Postgate", "pid", pid)
		if err := stopOrphan(pid); err != nil {
			return fmt.Errorf("the embedded PostgreSQL in %s is still running (pid %d) and could not be stopped: %w", c.dataDir, pid, err)
		}
		return nil
	}
	c.log.Warn("removing stale postmaster.pid", "pid", pid)
	if err := os.Remove(lock); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove stale %s: %w", lock, err)
	}
	locks, _ := filepath.Glob(filepath.Join(c.dataDir, ".s.PGSQL.*.lock"))
	for _, l := range locks {
		_ = os.Remove(l)
	}
	return nil
}

// stopOrphan shuts down a postmaster that is not this process's child.
func stopOrphan(pid int) error {
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL} {
		if err := syscall.Kill(pid, sig); err != nil {
			if errors.Is(err, syscall.ESRCH) {
				return nil
			}
			return err
		}
		deadline := time.Now().Add(stopTimeout)
		for time.Now().Before(deadline) {
			if syscall.Kill(pid, 0) != nil {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return errors.New("it did not exit")
}

// processIsPostgres reports whether pid is a live PostgreSQL server running
// on the data directory pgdata (not another server that reused the pid).
func processIsPostgres(pid int, pgdata string) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return strings.Contains(string(cmdline), "postgres") && strings.Contains(string(cmdline), pgdata)
}

// choosePort returns the remembered port when it is still free, else a free one.
func (c *Cluster) choosePort() int {
	if b, err := os.ReadFile(filepath.Join(c.dataDir, portFile)); err == nil {
		if p, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && p > 0 && portFree(p) {
			return p
		}
	}
	return freePort()
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
