package pgcluster

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// osUser is the account the server processes run as: nil for the current
// user, or the postgres user when Postgate runs as root (PostgreSQL refuses
// to run as root).
type osUser struct {
	name     string
	uid, gid uint32
}

func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the embedded PostgreSQL must run as the \"postgres\" user, which does not exist: install the postgresql package or create the user")
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &osUser{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// apply makes cmd run as the user.
func (u *osUser) apply(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if u != nil {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: u.uid, Gid: u.gid}
	}
}

// chown gives path to the user (no-op when running as the current user).
func (u *osUser) chown(path string) error {
	if u == nil {
		return nil
	}
	return os.Chown(path, int(u.uid), int(u.gid))
}

// ensureDir creates dir (mode 0700) owned by the user, after checking that
// the user can reach its parent, so that nothing is created in a place the
// server could not use.
func (u *osUser) ensureDir(dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", parent, err)
	}
	if err := u.check(parent, "-x"); err != nil {
		return u.unreachable(dir)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	if err := u.chown(dir); err != nil {
		return fmt.Errorf("chown data directory %s: %w", dir, err)
	}
	if err := u.check(dir, "-w"); err != nil {
		return u.unreachable(dir)
	}
	return nil
}

// check runs `test -x path && test <flag> path` as the user.
func (u *osUser) check(path, flag string) error {
	if u == nil {
		return nil
	}
	cmd := exec.Command("/bin/sh", "-c", `test -x "$1" && test `+flag+` "$1"`, "sh", path)
	u.apply(cmd)
	return cmd.Run()
}

func (u *osUser) unreachable(dir string) error {
	return fmt.Errorf("data directory %s is not reachable by the %q user, which runs the embedded PostgreSQL when Postgate runs as root: choose a directory outside /root and private folders (for example POSTGATE_DATA_DIR=/var/lib/postgate/data)", dir, u.name)
}
