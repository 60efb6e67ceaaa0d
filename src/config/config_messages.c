/* config_messages.c: collects the parser's errors and warnings and prints them in line order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/grow.h"
#include "src/config/config_parser.h"

static void config_message_add(struct config_parser *parser, int line, bool warning,
			       const char *format, va_list arguments)
{
	struct config_messages *messages = &parser->messages;
	char *text = NULL;

	if (warning)
		messages->warnings++;
	else
		messages->errors++;
	if (messages->count == CONFIG_MESSAGES_MAX)
		goto unshown;
	if (messages->count == messages->capacity) {
		struct config_message *items =
		    grow_array(messages->items, &messages->capacity, sizeof(*items), 16);

		if (!items)
			goto unshown;
		messages->items = items;
	}
	if (vasprintf(&text, format, arguments) < 0)
		goto unshown;
	messages->items[messages->count] = (struct config_message){
	    .line = line,
	    .order = messages->count,
	    .text = text,
	    .warning = warning,
	};
	messages->count++;
	return;
unshown:
	/* The totals still count it; the print says how many are not shown. */
	messages->unshown++;
}

void config_error(struct config_parser *parser, int line, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	config_message_add(parser, line, false, format, arguments);
	va_end(arguments);
}

void config_warning(struct config_parser *parser, int line, const char *format, ...)
{
	va_list arguments;

	va_start(arguments, format);
	config_message_add(parser, line, true, format, arguments);
	va_end(arguments);
}

static int config_message_compare(const void *left, const void *right)
{
	const struct config_message *a = left, *b = right;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Messages quote what the file said; control bytes and non-ASCII are escaped so that a
 * garbled file cannot garble the terminal or the journal. */
static void config_print_escaped(const char *text, FILE *out)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c < 0x20 || *c >= 0x7f)
			fprintf(out, "\\x%02x", *c);
		else
			fputc(*c, out);
	}
}

/* A line of the report is written to a memory stream, then handed to the output whole. */
static FILE *config_line_open(char **text, size_t *length)
{
	*text = NULL;
	return open_memstream(text, length);
}

/* TEXT is only filled in by fclose. */
static void config_line_close(FILE *line, char **text, bool warning,
			      const struct config_output *output)
{
	fclose(line);
	output->report(output->context, warning, *text);
	free(*text);
}

void config_messages_print(struct config_messages *messages, const char *name,
			   const struct config_output *output)
{
	size_t length;
	char *text;
	FILE *line;

	if (!output->report)
		return;
	/* qsort wants a valid pointer even for no elements, and there may be no messages. */
	if (messages->count > 0)
		qsort(messages->items, messages->count, sizeof(*messages->items),
		      config_message_compare);
	for (size_t i = 0; i < messages->count; i++) {
		const struct config_message *message = &messages->items[i];

		line = config_line_open(&text, &length);
		if (!line)
			goto out_of_memory;
		config_print_escaped(name, line);
		if (message->line > 0)
			fprintf(line, ":%d", message->line);
		fputs(message->warning ? ": warning: " : ": ", line);
		config_print_escaped(message->text, line);
		config_line_close(line, &text, message->warning, output);
	}
	if (messages->unshown > 0) {
		line = config_line_open(&text, &length);
		if (!line)
			goto out_of_memory;
		config_print_escaped(name, line);
		fprintf(line, ": %zu more message%s not shown", messages->unshown,
			messages->unshown == 1 ? "" : "s");
		config_line_close(line, &text, false, output);
	}
	if (messages->errors > 0 && output->count) {
		line = config_line_open(&text, &length);
		if (!line)
			goto out_of_memory;
		config_print_escaped(name, line);
		fprintf(line, ": %d error%s", messages->errors, messages->errors == 1 ? "" : "s");
		if (messages->warnings > 0)
			fprintf(line, ", %d warning%s", messages->warnings,
				messages->warnings == 1 ? "" : "s");
		config_line_close(line, &text, false, output);
	}
	return;
out_of_memory:
	output->report(output->context, false, "out of memory writing the configuration's errors");
}

void config_messages_free(struct config_messages *messages)
{
	for (size_t i = 0; i < messages->count; i++)
		free(messages->items[i].text);
	free(messages->items);
	memset(messages, 0, sizeof(*messages));
}
