// Command shipgate gates a Kubernetes change from pull request to
// production. It runs as a GitHub container action (the stage input picks
// the stage) or as a CLI: shipgate <stage> [flags].
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/shipgate/shipgate/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := app.Run(ctx, os.Args[1:], app.IO{Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	os.Exit(code)
}
