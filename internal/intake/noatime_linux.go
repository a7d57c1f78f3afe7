package intake

import "syscall"

const oNoATime = syscall.O_NOATIME
