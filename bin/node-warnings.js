'use strict';
// The AWS SDK warns on every start that its releases after January 2027 will need Node 22. This
// machine runs Node 20 and the pinned SDK works on it, so that one warning is dropped; all others stay.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  const text = typeof warning === 'string' ? warning : warning && warning.message;
  if (type === 'NodeVersionSupportWarning' || String(text).startsWith('NodeVersionSupportWarning:')) return;
  return emitWarning.call(process, warning, ...rest);
};
