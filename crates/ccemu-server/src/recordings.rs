//! Call recordings' audio, `GET /_ccemu/tenants/{id}/recordings/{interaction_id}/{recording_id}.wav`:
//! the file behind every surface's recording URL (Udesk `RecFileUrl`, ...).
//!
//! ccemu records no audio, so the file is synthetic: a WAV (RIFF/WAVE, PCM, 8 kHz, mono, 16-bit,
//! the format of telephony recordings) exactly as long as the recording, holding a quiet 400 Hz
//! tone so that a player shows something is there. Its bytes depend only on the duration.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::control::{tenant_id, ApiError};
use crate::AppState;

/// Samples per second.
pub const SAMPLE_RATE: u32 = 8_000;
/// Bytes per sample (16-bit mono).
const BYTES_PER_SAMPLE: u32 = 2;
/// Samples in one period of the tone: 8000 / 20 = 400 Hz, a whole number, so periods repeat exactly.
const PERIOD: usize = 20;
/// Peak of the tone, about 30 dB below full scale.
const AMPLITUDE: f64 = 1_000.0;

/// `GET /_ccemu/tenants/{id}/recordings/{interaction_id}/{file}`: `file` is `{recording_id}.wav`.
pub async fn get_recording(
    State(state): State<AppState>,
    Path((id, interaction_id, file)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let id = tenant_id(&id)?;
    let missing = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("recording {file} of interaction {interaction_id} not found"),
        )
    };
    let recording_id = file.strip_suffix(".wav").ok_or_else(missing)?;
    let interaction = state
        .engine
        .interaction(&id, &interaction_id)
        .await?
        .ok_or_else(missing)?;
    let recording = interaction
        .recordings
        .iter()
        .find(|r| r.id == recording_id)
        .ok_or_else(missing)?;
    let wav = wav(recording.ended_at_ms - recording.started_at_ms);
    Ok(([(header::CONTENT_TYPE, "audio/wav")], wav).into_response())
}

/// A WAV file of `duration_ms` (negative counts as 0): the 44-byte header, then 8 samples a ms.
pub fn wav(duration_ms: i64) -> Vec<u8> {
    let samples = usize::try_from(duration_ms.max(0)).unwrap_or(0) * (SAMPLE_RATE as usize / 1000);
    let data_len = samples * BYTES_PER_SAMPLE as usize;
    // A RIFF size is 32 bits: past about 74 hours of audio the sizes saturate rather than wrap.
    let data_len32 = u32::try_from(data_len).unwrap_or(u32::MAX - 36);
    let mut out = Vec::with_capacity(44 + data_len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len32).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * BYTES_PER_SAMPLE).to_le_bytes());
    out.extend_from_slice(&(BYTES_PER_SAMPLE as u16).to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len32.to_le_bytes());
    let period: Vec<u8> = (0..PERIOD)
        .flat_map(|n| {
            let phase = std::f64::consts::TAU * n as f64 / PERIOD as f64;
            ((phase.sin() * AMPLITUDE).round() as i16).to_le_bytes()
        })
        .collect();
    out.extend(period.iter().cycle().take(data_len));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes(b[at..at + 2].try_into().unwrap())
    }

    #[test]
    fn a_wav_is_8khz_mono_16bit_pcm_as_long_as_the_recording() {
        let w = wav(1_500);
        assert_eq!(&w[0..4], b"RIFF");
        assert_eq!(u32_at(&w, 4) as usize, w.len() - 8);
        assert_eq!(&w[8..16], b"WAVEfmt ");
        assert_eq!((u32_at(&w, 16), u16_at(&w, 20), u16_at(&w, 22)), (16, 1, 1));
        assert_eq!((u32_at(&w, 24), u32_at(&w, 28)), (8_000, 16_000));
        assert_eq!((u16_at(&w, 32), u16_at(&w, 34)), (2, 16));
        assert_eq!(&w[36..40], b"data");
        assert_eq!(u32_at(&w, 40), 1_500 * 16);
        assert_eq!(w.len(), 44 + 24_000);
        // Quiet but not silent, and centred on zero.
        let samples: Vec<i16> = w[44..]
            .chunks(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        let peak = samples.iter().map(|s| s.unsigned_abs()).max().unwrap();
        assert_eq!(peak, 1_000);
        assert_eq!(samples[..20].iter().map(|&s| i64::from(s)).sum::<i64>(), 0);
    }

    #[test]
    fn an_empty_recording_is_a_header_only() {
        assert_eq!(wav(0).len(), 44);
        assert_eq!(wav(-5), wav(0));
        assert_eq!(u32_at(&wav(0), 4), 36);
    }
}
