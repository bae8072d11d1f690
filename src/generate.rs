//! `--generate`: shell completions and the man page, from the same clap
//! definitions that parse the options, so they never fall out of date.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Args, Generate};

pub fn write(what: Generate, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Args::command();
    let shell = match what {
        Generate::CompleteBash => Shell::Bash,
        Generate::CompleteZsh => Shell::Zsh,
        Generate::CompleteFish => Shell::Fish,
        Generate::CompletePowershell => Shell::PowerShell,
        Generate::Man => return clap_mangen::Man::new(cmd).render(out),
    };
    clap_complete::generate(shell, &mut cmd, "stunscan", out);
    Ok(())
}
