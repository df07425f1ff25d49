// engine: tensorflow
// A script asking for an engine that does not exist: it must fail saying which engines do.
object Run(string input, string output, ScriptParams p) => 1;
