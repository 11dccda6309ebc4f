//! A small SMTP server for the tests, on a loopback port of its own: it
//! speaks enough of RFC 5321 (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
//! for a real client to deliver through it, keeps every message it accepts,
//! and can refuse every recipient to play a mail server that says no.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message's headers and body, as sent (dot-stuffing undone).
    pub data: String,
}

impl Received {
    /// The value of a header (the first of that name), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(v) = value.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                    continue;
                }
            } else if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':') {
                if n.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value
    }

    /// The body decoded from quoted-printable (what the mailer sends).
    pub fn text(&self) -> String {
        let body = self.data.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 3 <= bytes.len() {
                if let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).replace("\r\n", "\n")
    }
}

/// The server; it stops when dropped.
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// A server that accepts every message.
    pub async fn start() -> SmtpServer {
        SmtpServer::listen(None).await
    }

    /// A server that refuses every recipient with `reply` (e.g. "550 5.1.1 no such mailbox").
    pub async fn refusing(reply: &str) -> SmtpServer {
        SmtpServer::listen(Some(reply.to_string())).await
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn listen(refuse: Option<String>) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let store = store.clone();
                let refuse = refuse.clone();
                tokio::spawn(async move {
                    let _ = session(socket, store, refuse).await;
                });
            }
        });
        SmtpServer {
            port,
            received,
            task,
        }
    }
}

async fn session(
    socket: tokio::net::TcpStream,
    store: Arc<Mutex<Vec<Received>>>,
    refuse: Option<String>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 test.invalid ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" => "250-test.invalid\r\n250-8BITMIME\r\n250 SMTPUTF8".into(),
            "HELO" => "250 test.invalid".into(),
            "MAIL" => {
                from = address(&command);
                to.clear();
                "250 OK".into()
            }
            "RCPT" => match &refuse {
                Some(r) => r.clone(),
                None => {
                    to.push(address(&command));
                    "250 OK".into()
                }
            },
            "DATA" if to.is_empty() => "554 no valid recipients".into(),
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.push_str(unstuffed);
                }
                store.lock().unwrap().push(Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                "250 queued".into()
            }
            "RSET" => {
                to.clear();
                "250 OK".into()
            }
            "NOOP" => "250 OK".into(),
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => "502 command not implemented".into(),
        };
        write.write_all(format!("{reply}\r\n").as_bytes()).await?;
    }
}

/// The address in `MAIL FROM:<a@b> …` or `RCPT TO:<a@b>`.
fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command[start..]
        .find('>')
        .map_or(command.len(), |i| start + i);
    command[start..end].to_string()
}
