// Holds `mib` MiB in 16 MiB blocks, every page written so it is resident, then returns how much it held.
object Run(string input, string output, ScriptParams p)
{
    var target = p.GetInt("mib", 1024);
    var blocks = new List<byte[]>();
    for (var held = 0; held < target; held += 16)
    {
        var block = new byte[16 * 1024 * 1024];
        for (var i = 0; i < block.Length; i += 4096) block[i] = 1;
        blocks.Add(block);
        Context.Progress((double)held / target, $"{held} MiB held");
    }
    return new { held_mib = blocks.Count * 16 };
}
