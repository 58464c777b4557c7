// Which name each served model answers to: `name=path` on the command line, or the file's stem. The rule lives
// in the shared layer (src/util/model-names.ts), since `export triton` names its model folders by it too.
export { checkModelNames, parseModelArgument, parseModelArguments, type NamedModel } from '../util/model-names.js';
