/*
 * Alert severities.  The words are public (rules, alerts, filters); the
 * numbers are what event.severity carries, on the 0-100 scale SIEMs use
 * for risk scores.
 */
#ifndef KS_SEVERITY_H
#define KS_SEVERITY_H

enum severity { SEV_INFO = 0, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* Returns the severity, or -1 for an unknown word. */
int		 severity_parse(const char *word);
const char	*severity_name(enum severity);
int		 severity_number(enum severity);

#endif
