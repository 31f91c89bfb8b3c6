// awesome-lint's messages for one readme as JSON lines (its CLI prints them for people only).
// Usage (from the readme's directory): node awesome-lint-json.mjs readme.md
import lint from 'awesome-lint/index.js';

const files = await lint({filename: process.argv[2]});
for (const file of files) {
	for (const message of file.messages) {
		const {line, column, reason, ruleId, fatal} = message;
		console.log(JSON.stringify({line, column, reason, ruleId, fatal}));
	}
}
