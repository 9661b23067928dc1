/*
 * Unit tests of the metrics table's file (TCCHAT_METRICS_FILE): a new file
 * is sized and shared; a file that holds anything else is refused and left
 * as it is.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "metrics.h"

static char directory[] = "/tmp/tcchat-unit-metrics-XXXXXX";

static void make_directory(void)
{
	cr_assert_not_null(mkdtemp(directory));
}

static void remove_directory(void)
{
	char command[sizeof directory + 16];
	snprintf(command, sizeof command, "rm -rf %s", directory);
	cr_assert_eq(system(command), 0);
}

TestSuite(metrics_file, .init = make_directory, .fini = remove_directory);

static const char *file_in_directory(const char *name)
{
	static char path[sizeof directory + 32];
	snprintf(path, sizeof path, "%s/%s", directory, name);
	return path;
}

static off_t file_size(const char *path)
{
	struct stat status;
	cr_assert_eq(stat(path, &status), 0, "%s", path);
	return status.st_size;
}

static void write_file(const char *path, const char *content, size_t length)
{
	FILE *file = fopen(path, "w");
	cr_assert_not_null(file);
	cr_assert_eq(fwrite(content, 1, length, file), length);
	fclose(file);
}

Test(metrics_file, a_new_file_is_sized_for_the_table)
{
	const char *path = file_in_directory("new.metrics");
	char error[256] = "";
	cr_assert(metrics_open(path, error, sizeof error), "%s", error);
	cr_expect_gt(file_size(path), 0);
	metrics_close();
}

Test(metrics_file, a_file_of_another_size_is_refused_and_left_as_it_is)
{
	static const char content[] = "not a metrics table\n";
	const char *path = file_in_directory("other.metrics");
	write_file(path, content, sizeof content - 1);
	char error[256] = "";
	cr_expect_not(metrics_open(path, error, sizeof error));
	cr_expect_not_null(strstr(error, "holds something else"), "%s", error);
	cr_expect_eq(file_size(path), (off_t)(sizeof content - 1));
	metrics_close();
}

Test(metrics_file, a_file_of_the_same_size_with_other_content_is_refused)
{
	const char *fresh = file_in_directory("fresh.metrics");
	char error[256] = "";
	cr_assert(metrics_open(fresh, error, sizeof error), "%s", error);
	metrics_close();
	size_t size = (size_t)file_size(fresh);
	char *content = malloc(size);
	cr_assert_not_null(content);
	memset(content, 'x', size);
	const char *path = file_in_directory("same-size.metrics");
	write_file(path, content, size);
	free(content);
	cr_expect_not(metrics_open(path, error, sizeof error));
	cr_expect_not_null(strstr(error, "holds something else"), "%s", error);
	metrics_close();
}
