/*
 * contrib/bench/print-statements.c: prints the worker's statement table
 * (src/statements.c) as one line per statement, "name<TAB>parameter
 * count<TAB>sql", so that contrib/bench/run can PREPARE the exact SQL the
 * workers run, with text parameters as src/db.c does, and EXPLAIN it. Built by run into its results directory:
 *
 *   cc -std=c11 -I src contrib/bench/print-statements.c src/statements.c
 */
#include <stdio.h>

#include "statements.h"

int main(void)
{
	for (int i = 0; i < STATEMENT__MAX; i++)
		if (statements[i].name != NULL && statements[i].sql != NULL)
			printf("%s\t%d\t%s\n", statements[i].name, statements[i].param_count, statements[i].sql);
	return 0;
}
