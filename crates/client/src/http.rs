//! The host's REST API as the requester uses it.

use instant_share_protocol::{
    ApiError, BoardImage, ConsoleTicket, DeskOutlook, EnrolRequest, EnrolResponse, ExpertProfile,
    Feedback, GuestInvite, GuestInviteRequest, ImageSource, LoginRequest, SharePointer,
    ShareRequest, Topic, TopicList,
};
use reqwest::{Method, StatusCode};
use serde::{de::DeserializeOwned, Serialize};
use url::Url;

use crate::{ClientError, CONNECT_TIMEOUT, REQUEST_TIMEOUT};

/// A client of one host's REST API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct HostClient {
    base: Url,
    http: reqwest::Client,
}

impl HostClient {
    /// A client for the host at `base_url` (`http://` or `https://`, optionally with a path
    /// prefix). Fails with [`ClientError::InvalidUrl`] for anything else.
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        let base = parse_base_url(base_url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("instant-share-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Protocol(format!("cannot build an HTTP client: {e}")))?;
        Ok(Self { base, http })
    }

    /// The host's base address, normalised (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /api/v1/topics`: the topics the host routes, in display order.
    pub async fn topics(&self) -> Result<Vec<Topic>, ClientError> {
        let list: TopicList = self
            .call(Method::GET, "api/v1/topics", None::<&()>, None)
            .await?;
        Ok(list.topics)
    }

    /// `POST /api/v1/enrol`: trades a one-time enrolment code for a device credential.
    pub async fn enrol(&self, code: &str, device_name: &str) -> Result<EnrolResponse, ClientError> {
        let body = EnrolRequest {
            code: code.trim().to_owned(),
            device_name: device_name.to_owned(),
        };
        self.call(Method::POST, "api/v1/enrol", Some(&body), None)
            .await
    }

    /// `POST /api/v1/shares`: asks for a session with the device credential.
    pub async fn share(
        &self,
        credential: &str,
        request: &ShareRequest,
    ) -> Result<SharePointer, ClientError> {
        self.call(
            Method::POST,
            "api/v1/shares",
            Some(request),
            Some(credential),
        )
        .await
    }

    /// `GET /api/v1/desk`: what a request about each topic would meet now.
    pub async fn desk(&self, credential: &str) -> Result<DeskOutlook, ClientError> {
        self.call(Method::GET, "api/v1/desk", None::<&()>, Some(credential))
            .await
    }

    /// `POST /api/v1/sessions/{session}/feedback`: the requester's word on an ended session,
    /// with their participant token.
    pub async fn feedback(
        &self,
        session_id: &str,
        token: &str,
        feedback: &Feedback,
    ) -> Result<(), ClientError> {
        self.call_empty(
            Method::POST,
            &format!("api/v1/sessions/{session_id}/feedback"),
            Some(feedback),
            token,
        )
        .await
    }

    /// `POST /api/v1/expert/login` then `POST /api/v1/expert/ticket`: signs an expert in and
    /// returns a console ticket (for headless experts: tests, benchmarks, load runs).
    pub async fn expert_ticket(
        &self,
        username: &str,
        password: &str,
    ) -> Result<ConsoleTicket, ClientError> {
        let login = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
        };
        let url = |path: &str| {
            self.base
                .join(path)
                .map_err(|e| ClientError::InvalidUrl(e.to_string()))
        };
        let response = self
            .http
            .post(url("api/v1/expert/login")?)
            .json(&login)
            .send()
            .await
            .map_err(transport_error)?;
        let cookie = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let (status, bytes) = read(response).await?;
        let _: ExpertProfile = decode_reply(status, &bytes)?;
        let cookie = cookie.ok_or_else(|| {
            ClientError::Protocol("the host signed the expert in without a cookie".into())
        })?;
        let (status, bytes) = exchange(
            self.http
                .post(url("api/v1/expert/ticket")?)
                .header(reqwest::header::COOKIE, cookie)
                .json(&serde_json::json!({})),
        )
        .await?;
        decode_reply(status, &bytes)
    }

    /// `POST /api/v1/sessions/{session}/images`: shares a picture (already blacked out where
    /// the user chose) on the session's board with the participant token.
    pub async fn upload_image(
        &self,
        session_id: &str,
        token: &str,
        picture: Vec<u8>,
        name: &str,
        source: ImageSource,
    ) -> Result<BoardImage, ClientError> {
        let mut url = self
            .base
            .join(&format!("api/v1/sessions/{session_id}/images"))
            .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        let source = match source {
            ImageSource::Screenshot => "screenshot",
            ImageSource::File => "file",
            ImageSource::Camera => "camera",
        };
        url.query_pairs_mut()
            .append_pair("name", name)
            .append_pair("source", source);
        let (status, bytes) = exchange(
            self.http
                .post(url)
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .body(picture),
        )
        .await?;
        decode_reply(status, &bytes)
    }

    /// `POST /api/v1/sessions/{session}/guests`: one more person by link, with the requester's
    /// or the expert's participant token.
    pub async fn invite_guest(
        &self,
        session_id: &str,
        token: &str,
        request: &GuestInviteRequest,
    ) -> Result<GuestInvite, ClientError> {
        self.call(
            Method::POST,
            &format!("api/v1/sessions/{session_id}/guests"),
            Some(request),
            Some(token),
        )
        .await
    }

    /// `DELETE /api/v1/sessions/{session}/guests/{participant}`: removes a guest, with the
    /// requester's or an expert's participant token.
    pub async fn remove_guest(
        &self,
        session_id: &str,
        token: &str,
        participant_id: &str,
    ) -> Result<(), ClientError> {
        self.call_empty(
            Method::DELETE,
            &format!("api/v1/sessions/{session_id}/guests/{participant_id}"),
            None::<&()>,
            token,
        )
        .await
    }

    /// `GET /api/v1/sessions/{session}/images/{id}`: a picture of the session's board (PNG).
    pub async fn fetch_image(
        &self,
        session_id: &str,
        token: &str,
        image_id: &str,
    ) -> Result<Vec<u8>, ClientError> {
        let url = self
            .base
            .join(&format!("api/v1/sessions/{session_id}/images/{image_id}"))
            .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        let (status, bytes) = exchange(self.http.get(url).bearer_auth(token)).await?;
        if status.is_success() {
            return Ok(bytes);
        }
        Err(decode_reply::<serde_json::Value>(status, &bytes)
            .err()
            .unwrap_or_else(|| ClientError::Protocol(format!("HTTP {status}"))))
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        bearer: Option<&str>,
    ) -> Result<T, ClientError> {
        let (status, bytes) = self.send(method, path, body, bearer).await?;
        decode_reply(status, &bytes)
    }

    /// The same for an answer without a body (`204 No Content`).
    async fn call_empty<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        bearer: &str,
    ) -> Result<(), ClientError> {
        let (status, bytes) = self.send(method, path, body, Some(bearer)).await?;
        if status.is_success() {
            return Ok(());
        }
        Err(decode_reply::<serde_json::Value>(status, &bytes)
            .err()
            .unwrap_or_else(|| ClientError::Protocol(format!("HTTP {status}"))))
    }

    async fn send<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        bearer: Option<&str>,
    ) -> Result<(StatusCode, Vec<u8>), ClientError> {
        let url = self
            .base
            .join(path)
            .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        let mut request = self.http.request(method, url);
        if let Some(body) = body {
            // `.json` also sets `Content-Type: application/json`, which the host's CSRF check wants.
            request = request.json(body);
        }
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        exchange(request).await
    }
}

/// Checks and normalises a host base address.
fn parse_base_url(raw: &str) -> Result<Url, ClientError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ClientError::InvalidUrl("it is empty".into()));
    }
    let mut url = Url::parse(raw).map_err(|e| ClientError::InvalidUrl(format!("{raw}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::InvalidUrl(format!(
            "{raw}: it must start with http:// or https://"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(ClientError::InvalidUrl(format!(
            "{raw}: it has no host name"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::InvalidUrl(format!(
            "{raw}: it must not have a query or fragment"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Sends a request; the status and the whole body.
async fn exchange(request: reqwest::RequestBuilder) -> Result<(StatusCode, Vec<u8>), ClientError> {
    read(request.send().await.map_err(transport_error)?).await
}

/// A response's status and whole body.
async fn read(response: reqwest::Response) -> Result<(StatusCode, Vec<u8>), ClientError> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(transport_error)?;
    Ok((status, bytes.to_vec()))
}

fn transport_error(e: reqwest::Error) -> ClientError {
    if e.is_connect() || e.is_timeout() || e.is_request() {
        ClientError::Unreachable(e.to_string())
    } else if e.is_decode() || e.is_body() {
        ClientError::Protocol(e.to_string())
    } else {
        ClientError::Unreachable(e.to_string())
    }
}

/// Turns a status and body into the expected value or the host's error.
///
/// Public because the body is outside input (a host, or whatever answers in its place): the
/// fuzz target `client_reply` (`fuzz/`) feeds it arbitrary statuses and bytes.
pub fn decode_reply<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
) -> Result<T, ClientError> {
    if status.is_success() {
        return serde_json::from_slice(body).map_err(|e| {
            ClientError::Protocol(format!(
                "HTTP {status} with a body that does not parse: {e}"
            ))
        });
    }
    match serde_json::from_slice::<ApiError>(body) {
        Ok(error) => Err(ClientError::Api(error)),
        Err(_) => Err(ClientError::Protocol(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use instant_share_protocol::ErrorCode;

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:8080").unwrap().as_str(),
            "http://127.0.0.1:8080/"
        );
        assert_eq!(
            parse_base_url(" https://help.example.com/support ")
                .unwrap()
                .join("api/v1/topics")
                .unwrap()
                .as_str(),
            "https://help.example.com/support/api/v1/topics"
        );
        for bad in [
            "",
            "ftp://host",
            "ws://host:8080",
            "127.0.0.1:8080",
            "host",
            "http://host/?q=1",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(parse_base_url(bad), Err(ClientError::InvalidUrl(_))),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn error_bodies_become_api_errors() {
        let body = br#"{"code":"enrolment_code_used","message":"That code was already used."}"#;
        let err = decode_reply::<TopicList>(StatusCode::UNAUTHORIZED, body).unwrap_err();
        assert_eq!(
            err,
            ClientError::Api(ApiError::new(
                ErrorCode::EnrolmentCodeUsed,
                "That code was already used."
            ))
        );
        assert_eq!(err.to_api_error().code, ErrorCode::EnrolmentCodeUsed);
    }

    #[test]
    fn unexpected_answers_are_protocol_errors() {
        let html = b"<html>Bad gateway</html>";
        assert!(matches!(
            decode_reply::<TopicList>(StatusCode::BAD_GATEWAY, html),
            Err(ClientError::Protocol(m)) if m.contains("502")
        ));
        assert!(matches!(
            decode_reply::<TopicList>(StatusCode::OK, b"{\"nope\":1}"),
            Err(ClientError::Protocol(_))
        ));
        let ok = decode_reply::<TopicList>(
            StatusCode::OK,
            br#"{"topics":[{"id":"email","label":"Email and calendar"}]}"#,
        )
        .unwrap();
        assert_eq!(ok.topics[0].id, "email");
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        // Bind and drop to find a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = HostClient::new(&format!("http://127.0.0.1:{port}")).unwrap();
        let err = client.topics().await.unwrap_err();
        assert!(matches!(err, ClientError::Unreachable(_)), "{err:?}");
        assert_eq!(
            err.to_api_error().code,
            instant_share_protocol::ErrorCode::HostUnreachable
        );
    }
}
