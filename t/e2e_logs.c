/*
 * End-to-end: what the logs of a run may not hold. While the tests run, the
 * message and search texts they send are noted; once the stack has stopped,
 * its logs are searched for sanitizer reports, tokens, directory names and
 * those texts (API.md: no PHI in logs). Each finding is printed and the run
 * counts one failed test more, so that it fails.
 */
#include "e2e.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

/* The shortest text worth looking for in the logs, and how much of it. */
#define WATCHED_TEXT_MIN 12
#define WATCHED_TEXT_PREFIX 40

/*
 * Notes the message text (and search text) a request carries in
 * DIR/watched-texts, so that the end of the run can check that no log
 * holds one. Lines are appended in one write each: tests run in parallel.
 */
void e2e_watch_texts(const char *path, const char *body, size_t length)
{
	const char *dir = getenv("TCCHAT_E2E_DIR");
	struct json_object *parsed = NULL, *text = NULL;
	const char *found[2] = {NULL, NULL};
	if (dir == NULL)
		return;
	if (body != NULL && length > 0 && strlen(body) == length) {
		parsed = json_tokener_parse(body);
		if (json_object_object_get_ex(parsed, "text", &text) && json_object_is_type(text, json_type_string))
			found[0] = json_object_get_string(text);
	}
	const char *query = strstr(path, "q=");
	if (query != NULL && (query == path || query[-1] == '?' || query[-1] == '&'))
		found[1] = query + 2;
	char file[PATH_MAX];
	snprintf(file, sizeof file, "%s/watched-texts", dir);
	for (int i = 0; i < 2; i++) {
		if (found[i] == NULL || strlen(found[i]) < WATCHED_TEXT_MIN || strchr(found[i], '\n'))
			continue;
		char line[WATCHED_TEXT_PREFIX + 2];
		int n = snprintf(line, sizeof line, "%.*s\n", WATCHED_TEXT_PREFIX, found[i]);
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			ssize_t ignored = write(fd, line, (size_t)n);
			(void)ignored;
			close(fd);
		}
	}
	json_object_put(parsed);
}

/*
 * After the workers have stopped (and LeakSanitizer, in a sanitized build,
 * has written its report), their log must hold no sanitizer report. Each
 * finding is printed and counted as a failed test, so that the run fails.
 */
static void worker_log_check(const char *stack_dir, struct criterion_global_stats *stats)
{
	static const char *const findings[] = {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
					      NULL};
	char path[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/worker.log", stack_dir);
	FILE *log = fopen(path, "r");
	if (log == NULL)
		return;
	char line[2048];
	size_t found = 0;
	while (fgets(line, sizeof line, log) != NULL)
		for (const char *const *finding = findings; *finding; finding++)
			if (strstr(line, *finding) != NULL && found++ < 20)
				fprintf(stderr, "[FAIL] worker log: %s", line);
	fclose(log);
	if (found > 0) {
		stats->nb_tests++;
		stats->tests_failed++;
	}
}

/* Strings no log may hold: any JWT ("eyJ" starts the base64 of '{"'), and
 * the directory's names (t/e2e_directory.sql). */
static const char *const never_logged[] = {"eyJ", "Tina1", "Tester1", "Paul1", "Patient1", "Zoë", "Ångström",
					   "José", "Núñez", NULL};

/* Counts the lines of `log` that hold a never-logged string or one of the
 * watched texts, printing the first few. */
static size_t log_leaks(const char *stack_dir, const char *log, char **texts, size_t text_count)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", stack_dir, log);
	FILE *file = fopen(path, "r");
	if (file == NULL)
		return 0;
	char line[4096];
	size_t found = 0;
	while (fgets(line, sizeof line, file) != NULL) {
		const char *leak = NULL;
		for (const char *const *word = never_logged; *word && leak == NULL; word++)
			if (strstr(line, *word) != NULL)
				leak = *word;
		for (size_t i = 0; i < text_count && leak == NULL; i++)
			if (strstr(line, texts[i]) != NULL)
				leak = "a message text the tests sent";
		if (leak != NULL && found++ < 10)
			fprintf(stderr, "[FAIL] %s holds %s: %.200s", log, leak, line);
	}
	fclose(file);
	return found;
}

/* No log holds a token, a name, or a message text (API.md: no PHI in logs). */
static void logs_leak_check(const char *stack_dir, struct criterion_global_stats *stats)
{
	static const char *const logs[] = {"worker.log", "access.log", "nginx-error.log", "pg/postgresql.log"};
	char path[PATH_MAX + 32], line[WATCHED_TEXT_PREFIX + 2];
	char **texts = NULL;
	size_t text_count = 0, found = 0;
	snprintf(path, sizeof path, "%s/watched-texts", stack_dir);
	FILE *watched = fopen(path, "r");
	while (watched != NULL && fgets(line, sizeof line, watched) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		texts = realloc(texts, (text_count + 1) * sizeof *texts);
		if (texts == NULL)
			abort();
		texts[text_count++] = strdup(line);
	}
	if (watched != NULL)
		fclose(watched);
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++)
		found += log_leaks(stack_dir, logs[i], texts, text_count);
	for (size_t i = 0; i < text_count; i++)
		free(texts[i]);
	free(texts);
	if (found > 0) {
		stats->nb_tests++;
		stats->tests_failed++;
	}
}

void e2e_logs_check(const char *stack_dir, struct criterion_global_stats *stats)
{
	worker_log_check(stack_dir, stats);
	logs_leak_check(stack_dir, stats);
}
