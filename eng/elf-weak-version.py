"""Marks one version requirement of an ELF64 little-endian shared library as weak (VER_FLG_WEAK in its Vernaux entry).

patchelf has no option for it. The dynamic loader then accepts a libstdc++ that lacks that version, as long as every
symbol bound to it has been given another (see patch-libtorchsharp.sh)."""
import struct
import sys

VER_FLG_WEAK = 0x2
SHT_GNU_VERNEED = 0x6FFFFFFE


def main(path, version):
    with open(path, "r+b") as f:
        elf = bytearray(f.read())
        if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
            sys.exit(f"{path}: not a little-endian ELF64 file")
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)]
        verneed = next((s for s in sections if s[1] == SHT_GNU_VERNEED), None)
        if verneed is None:
            sys.exit(f"{path}: no version requirements")
        strtab_offset = sections[verneed[6]][4]

        def name(offset):
            start = strtab_offset + offset
            return elf[start:elf.index(0, start)].decode()

        entry = verneed[4]
        while True:
            _, count, _, aux, following = struct.unpack_from("<HHIII", elf, entry)
            at = entry + aux
            for _ in range(count):
                _, flags, _, name_offset, next_aux = struct.unpack_from("<IHHII", elf, at)
                if name(name_offset) == version:
                    struct.pack_into("<H", elf, at + 4, flags | VER_FLG_WEAK)
                    f.seek(0)
                    f.write(elf)
                    return
                at += next_aux
            if following == 0:
                break
            entry += following
        sys.exit(f"{path}: requires no {version}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
