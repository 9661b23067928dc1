/*
 * Levelled logging to standard error (journald under systemd). Lines never
 * carry message text, names or tokens: callers pass ids, routes, statuses.
 */
#ifndef TCCHAT_LOG_H
#define TCCHAT_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL__MAX
};

extern const char *const log_level_names[LOG_LEVEL__MAX];

void log_set_level(enum log_level level);

/* Makes writes to standard error non-blocking: a stalled log reader (a
 * full pipe to journald) costs log lines, never a request's time. Lines
 * that could not be written are counted and reported with the next one. */
void log_set_nonblocking(void);
bool log_enabled(enum log_level level);
void log_write(enum log_level level, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* Copies `text` into `out`, escaping control characters and quotes, so that
 * a client-supplied value cannot forge log lines. Always NUL-terminates. */
void log_escape(char *out, size_t out_size, const char *text);

#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
