package provingground

import "os"

// pidSalt spreads parallel test processes over different blocks.
func pidSalt() int { return os.Getpid() % 97 }
