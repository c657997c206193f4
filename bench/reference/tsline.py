#!/usr/bin/env python3
# prefix each stdin line with a wall-clock timestamp (time.time()); used for per-round timing without touching the code
import sys, time
for line in sys.stdin:
    sys.stdout.write('%.6f\t%s' % (time.time(), line)); sys.stdout.flush()
