package kme

import "os/exec"

var execLookPath = exec.LookPath

func execCommand(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}
