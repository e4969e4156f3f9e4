// Command openapi-subset trims GitHub's OpenAPI description to a list of
// operations and every component they reference, so the GitHub emulator in
// internal/ghemu loads a small file instead of the 13 MB original.
//
//	openapi-subset -in api.github.com.json -out subset.json \
//	  -source @octokit/openapi@23.0.2 -ops checks/create,pulls/get
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "openapi-subset:", err)
		os.Exit(1)
	}
}
