//! The terminal: raw mode and the alternate screen, always given back, even on panic.

use std::io::{self, Stdout, Write};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    BeginSynchronizedUpdate, Clear, ClearType, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute, queue};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::app::App;
use crate::runtime::Screen;

/// The real terminal; restores it when dropped.
pub struct Tui {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Tui {
    /// Takes over the terminal, after installing a panic hook that gives it back first.
    pub fn enter() -> io::Result<Tui> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut stdout = io::stdout();
        if let Err(e) = execute!(
            stdout,
            EnterAlternateScreen,
            EnableMouseCapture,
            cursor::Hide
        ) {
            restore();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(stdout)).inspect_err(|_| restore())?;
        Ok(Tui { terminal })
    }

    /// The terminal's size now.
    pub fn size(&self) -> io::Result<(u16, u16)> {
        let s = self.terminal.size()?;
        Ok((s.width, s.height))
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore();
    }
}

impl Screen for Tui {
    fn draw(&mut self, app: &App) -> io::Result<()> {
        // Synchronized output: terminals that support it show the frame at once, never half-drawn.
        queue!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(|f| crate::ui::draw(f, app))?;
        execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)
    }

    fn clipboard(&mut self, text: &str) -> io::Result<()> {
        let backend = self.terminal.backend_mut();
        backend.write_all(osc52(text).as_bytes())?;
        backend.flush()
    }

    fn suspend(&mut self) -> io::Result<()> {
        restore();
        Ok(())
    }

    fn resume(&mut self) -> io::Result<Option<(u16, u16)>> {
        enable_raw_mode()?;
        execute!(
            self.terminal.backend_mut(),
            EnterAlternateScreen,
            EnableMouseCapture,
            cursor::Hide
        )?;
        // The screen was the shell's meanwhile: forget what ratatui thinks is on it. A new
        // terminal rather than `clear()`, which asks the terminal for the cursor position
        // while the input stream is reading the answer.
        execute!(self.terminal.backend_mut(), Clear(ClearType::All))?;
        self.terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
        self.size().map(Some)
    }
}

/// The OSC 52 sequence that puts `text` on the clipboard. What is pasted lands in a shell,
/// so outside text in it is sanitised first.
pub fn osc52(text: &str) -> String {
    use base64::Engine;
    let text = crate::text::sanitize(text);
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

/// Gives the terminal back: cooked mode, main screen, cursor, no mouse capture.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, so the message is printed on the main screen where it stays readable.
        restore();
        previous(info);
    }));
}
