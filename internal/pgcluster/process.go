package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// maxSocketPath is the longest Unix socket path PostgreSQL accepts.
const maxSocketPath = 107

// launch starts the postmaster and waits until it accepts connections.
func (c *Cluster) launch(ctx context.Context) error {
	logf, err := os.OpenFile(filepath.Join(c.dataDir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", logFile, err)
	}
	c.mu.Lock()
	port := c.port
	c.mu.Unlock()
	socketDir := c.dataDir
	if len(filepath.Join(socketDir, ".s.PGSQL."+strconv.Itoa(port))) > maxSocketPath {
		socketDir = "" // path too long for a socket: TCP only
	}
	cmd := exec.Command(filepath.Join(c.binDir, "postgres"),
		"-D", c.pgdata,
		"-p", strconv.Itoa(port),
		"-k", socketDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "timezone=UTC",
		"-c", "log_timezone=UTC",
		"-c", "max_connections=200",
	)
	cmd.Dir = c.dataDir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	c.user.apply(cmd)
	// Own process group: a terminal's Ctrl-C reaches Postgate, which then
	// shuts the server down in order.
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	c.mu.Lock()
	c.cmd, c.exited = cmd, exited
	c.mu.Unlock()
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	if err := c.waitReady(ctx, exited); err != nil {
		select {
		case <-exited:
			return fmt.Errorf("postgres exited during start-up (%v): %s; see %s", waitErr,
				lastLines(tail(filepath.Join(c.dataDir, logFile)), 3), filepath.Join(c.dataDir, logFile))
		default:
			_ = terminate(cmd.Process, exited)
			return err
		}
	}
	return nil
}

// waitReady polls until the server accepts a connection to database
// "postgres" (creating it if it was dropped), exits, or the timeout passes.
func (c *Cluster) waitReady(ctx context.Context, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, c.URL())
		ccancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name
			if err := c.createDatabase(ctx); err != nil {
				return err
			}
			continue
		}
		select {
		case <-exited:
			return errors.New("postgres exited")
		case <-ctx.Done():
			return fmt.Errorf("embedded PostgreSQL did not accept connections within %s: %w", readyTimeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createDatabase recreates the "postgres" database through template1.
func (c *Cluster) createDatabase(ctx context.Context) error {
	cfg, err := pgx.ParseConfig(c.URL())
	if err != nil {
		return err
	}
	cfg.Database = "template1"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to template1: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+databaseName); err != nil {
		return fmt.Errorf("create database %s: %w", databaseName, err)
	}
	return nil
}

// supervise restarts the server when it exits unexpectedly, at most
// maxRestarts times within restartReset, with a growing delay.
func (c *Cluster) supervise() {
	defer close(c.done)
	restarts := 0
	windowStart := time.Now()
	for {
		c.mu.Lock()
		exited := c.exited
		c.mu.Unlock()
		<-exited
		c.mu.Lock()
		stopping := c.stopping
		c.mu.Unlock()
		if stopping {
			return
		}
		if time.Since(windowStart) > restartReset {
			restarts, windowStart = 0, time.Now()
		}
		if restarts >= maxRestarts {
			c.log.Error("embedded PostgreSQL keeps exiting; giving up", "restarts", restarts, "log", filepath.Join(c.dataDir, logFile))
			return
		}
		restarts++
		delay := time.Duration(restarts*restarts) * 200 * time.Millisecond
		c.log.Error("embedded PostgreSQL exited unexpectedly; restarting", "attempt", restarts, "delay_seconds", delay.Seconds())
		time.Sleep(delay)
		c.mu.Lock()
		stopping = c.stopping
		c.mu.Unlock()
		if stopping {
			return
		}
		_ = c.removeStaleLock()
		if err := c.launch(context.Background()); err != nil {
			c.log.Error("embedded PostgreSQL restart failed", "attempt", restarts, "error", err.Error())
			// launch failed: wait on a closed channel so the loop retries.
			closed := make(chan struct{})
			close(closed)
			c.mu.Lock()
			c.exited = closed
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		stopping, cmd, exited := c.stopping, c.cmd, c.exited
		c.mu.Unlock()
		if stopping { // Stop was called while restarting
			_ = terminate(cmd.Process, exited)
			return
		}
		c.log.Info("embedded PostgreSQL restarted", "attempt", restarts)
	}
}

// tail returns the last few KiB of a file.
func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	off := fi.Size() - 4096
	if off < 0 {
		off = 0
	}
	b := make([]byte, fi.Size()-off)
	_, _ = f.ReadAt(b, off)
	return string(b)
}
