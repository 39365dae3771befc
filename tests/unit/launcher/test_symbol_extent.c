/* A frame is named after a symbol only when the symbol's extent holds
 * the address: never after the nearest symbol below it (Debian's
 * python3.11 keeps only its exported symbols, and a static function's
 * frame came out under an exported neighbour's name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "launcher/symbols.h"

/* exported_a [0x1000, 0x1100), a hole (a static function, no symbol),
 * exported_b [0x1400, 0x1480) with its alias b_alias, and inner
 * [0x1410, 0x1420) inside exported_b. */
static struct lc_symbol table[] = {
	{.value = 0x1400, .size = 0x80, .name = "exported_b"},
	{.value = 0x1000, .size = 0x100, .name = "exported_a"},
	{.value = 0x1410, .size = 0x10, .name = "inner"},
	{.value = 0x1400, .size = 0x80, .name = "b_alias"},
};
#define COUNT (sizeof table / sizeof table[0])

static const char *name_at(uint64_t addr)
{
	const struct lc_symbol *s = lc_symbol_covering(table, COUNT, addr);
	return s ? s->name : NULL;
}

static int sorted(void **state)
{
	(void)state;
	lc_symbols_sort(table, COUNT);
	return 0;
}

static void inside_an_extent_gets_its_name(void **state)
{
	(void)state;
	assert_string_equal(name_at(0x1000), "exported_a");
	assert_string_equal(name_at(0x10ff), "exported_a");
	const char *b = name_at(0x1401);
	assert_true(b && (b[0] == 'e' || b[0] == 'b')); /* either alias */
}

static void past_the_extent_gets_no_name(void **state)
{
	(void)state;
	/* the static function after exported_a: not exported_a+0x1e2 */
	assert_null(name_at(0x1100));
	assert_null(name_at(0x11e2));
	assert_null(name_at(0x13ff));
	assert_null(name_at(0x1480));
	assert_null(name_at(0x0fff));
	assert_null(name_at(UINT64_MAX));
}

static void a_nested_symbol_wins_inside_it(void **state)
{
	(void)state;
	assert_string_equal(name_at(0x1410), "inner");
	assert_string_equal(name_at(0x141f), "inner");
	const char *after = name_at(0x1420); /* back in exported_b */
	assert_non_null(after);
	assert_true(after[0] == 'e' || after[0] == 'b');
}

static void an_empty_table_names_nothing(void **state)
{
	(void)state;
	assert_null(lc_symbol_covering(NULL, 0, 0x1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inside_an_extent_gets_its_name),
		cmocka_unit_test(past_the_extent_gets_no_name),
		cmocka_unit_test(a_nested_symbol_wins_inside_it),
		cmocka_unit_test(an_empty_table_names_nothing),
	};
	return cmocka_run_group_tests(tests, sorted, NULL);
}
