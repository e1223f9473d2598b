/* Severity words and numbers; see severity.h. */
#include "autoconfig.h"

#include <string.h>

#include "severity.h"

static const struct {
	const char	*name;
	int		 number;
} sev[] = {
	[SEV_INFO] = { "info", 1 },
	[SEV_LOW] = { "low", 21 },
	[SEV_MEDIUM] = { "medium", 47 },
	[SEV_HIGH] = { "high", 73 },
	[SEV_CRITICAL] = { "critical", 99 },
};

int
severity_parse(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
		if (strcmp(sev[i].name, word) == 0)
			return (int)i;
	return -1;
}

const char *
severity_name(enum severity s)
{
	return (unsigned int)s <= SEV_CRITICAL ? sev[s].name : "unknown";
}

int
severity_number(enum severity s)
{
	return (unsigned int)s <= SEV_CRITICAL ? sev[s].number : 0;
}
