/*
 * Levelled logging to standard error, one line per event, with control
 * characters escaped so that client-supplied values cannot forge lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

const char *const log_level_names[LOG_LEVEL__MAX] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static enum log_level current_level = LOG_LEVEL_INFO;
static unsigned long lines_dropped;

void log_set_level(enum log_level level)
{
	current_level = level;
}

void log_set_nonblocking(void)
{
	int flags = fcntl(STDERR_FILENO, F_GETFL);
	if (flags >= 0)
		fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK);
}

bool log_enabled(enum log_level level)
{
	return level <= current_level;
}

/* The worker's pid, read once: getpid(2) is a system call, and a worker
 * never forks. */
static int log_pid(void)
{
	static int pid;
	if (pid == 0)
		pid = (int)getpid();
	return pid;
}

void log_write(enum log_level level, const char *format, ...)
{
	if (!log_enabled(level))
		return;
	char line[2048];
	struct timespec now;
	struct tm utc;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	int prefix = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ tcchat[%d] %s: ",
			      utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
			      utc.tm_sec, now.tv_nsec / 1000000, log_pid(), log_level_names[level]);
	va_list args;
	va_start(args, format);
	vsnprintf(line + prefix, sizeof line - (size_t)prefix - 1, format, args);
	va_end(args);
	/* One write(2) per line keeps lines from several workers whole. */
	size_t length = strlen(line);
	line[length++] = '\n';
	if (lines_dropped > 0) {
		char notice[64];
		int n = snprintf(notice, sizeof notice, "tcchat[%d] warn: log: %lu lines dropped\n", log_pid(),
				 lines_dropped);
		if (write(STDERR_FILENO, notice, (size_t)n) == n)
			lines_dropped = 0;
	}
	if (write(STDERR_FILENO, line, length) < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		lines_dropped++;
}

void log_escape(char *out, size_t out_size, const char *text)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0;
	if (out_size == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)(text ? text : "-"); *p; p++) {
		char escaped[5];
		size_t n;
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
			escaped[0] = '\\';
			escaped[1] = 'x';
			escaped[2] = hex[*p >> 4];
			escaped[3] = hex[*p & 15];
			n = 4;
		} else {
			escaped[0] = (char)*p;
			n = 1;
		}
		if (used + n >= out_size)
			break;
		memcpy(out + used, escaped, n);
		used += n;
	}
	out[used] = '\0';
}
