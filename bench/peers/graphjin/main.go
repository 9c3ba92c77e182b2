//go:build ignore

// Throwaway launcher for the GraphJin peer: bench/run.sh copies this file into
// a temporary module that requires GraphJin from the Go module proxy and
// builds it there. It is not part of Postgate's build (see the build tag).
package main

import (
	"log"
	"os"

	"github.com/dosco/graphjin/serv"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gjbench CONFIG_FILE")
	}
	conf, err := serv.ReadInConfig(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	gj, err := serv.NewGraphJinService(conf)
	if err != nil {
		log.Fatal(err)
	}
	if err := gj.Start(); err != nil {
		log.Fatal(err)
	}
}
