// Command profile runs the Postgate server exactly as `postgate serve` does
// (same configuration from flags and HASURA_GRAPHQL_* variables, same
// handler) with CPU and heap profiling driven by signals, so that the
// benchmark can profile the real request path under wrk load without any
// profiling endpoint in the product:
//
//	SIGUSR1  start a CPU profile into the next file named by -cpu (a %d in
//	         the name is replaced by 1, 2, ...)
//	SIGUSR2  stop the CPU profile and write a heap profile beside it
//	SIGINT   shut down
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/postgate/postgate/internal/app"
	"github.com/postgate/postgate/internal/config"
	"github.com/postgate/postgate/internal/logging"
)

func main() {
	cpuPattern := flag.String("cpu", "cpu-%d.pprof", "CPU profile file name pattern")
	flag.Parse()
	cfg, _, err := config.Load(flag.Args(), os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	logger := logging.New(os.Stdout, logging.Options{Types: cfg.LogTypes, Level: cfg.LogLevel})
	ctx := context.Background()
	a, err := app.New(ctx, cfg, logger)
	if err != nil {
		log.Fatal(err)
	}
	sig := make(chan os.Signal, 4)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		n := 0
		var f *os.File
		for s := range sig {
			switch {
			case s == syscall.SIGUSR1 && f == nil:
				n++
				name := strings.ReplaceAll(*cpuPattern, "%d", fmt.Sprint(n))
				if f, err = os.Create(name); err != nil {
					log.Print(err)
					f = nil
					continue
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					log.Print(err)
				}
			case s == syscall.SIGUSR2 && f != nil:
				pprof.StopCPUProfile()
				f.Close()
				runtime.GC()
				if h, err := os.Create(strings.TrimSuffix(f.Name(), ".pprof") + ".heap.pprof"); err == nil {
					_ = pprof.WriteHeapProfile(h)
					h.Close()
				}
				f = nil
			}
		}
	}()
	if err := a.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
