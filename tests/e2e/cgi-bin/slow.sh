#!/bin/sh
# A CGI script: lastcall is inherited through LD_PRELOAD but must stay
# inert here (no threads of its own, the shell's signals untouched).
sleep 1
threads=$(ls /proc/$$/task | wc -l)
body="threads=$threads preload=${LD_PRELOAD:+yes}"
printf 'Content-Type: text/plain\r\nContent-Length: %s\r\n\r\n%s' "${#body}" "$body"
