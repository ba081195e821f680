"""Plain-PyTorch references of the zoo's recurrent and 1-D nets (no netspec code), written after
their published sources. Import only after `pytest.importorskip("torch")`.

- `M5`: torchaudio's tutorial "Speech Command Classification with torchaudio" (M5 of Dai et al. 2017,
  "Very deep convolutional neural networks for raw waveforms"), its defaults n_input=1, n_output=35,
  stride=16, n_channel=32, on 8,000 samples (1 s at 8 kHz). The tutorial prints 26,915 parameters.
- `RNNModel`: PyTorch's examples/word_language_model model (an LSTM, untied), configured as the
  "medium" model of Zaremba et al. 2014 (vocabulary 10,000, 650 units, 2 layers, 35 steps).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class M5(nn.Module):
    def __init__(self, n_input=1, n_output=35, stride=16, n_channel=32):
        super().__init__()
        self.conv1 = nn.Conv1d(n_input, n_channel, kernel_size=80, stride=stride)
        self.bn1 = nn.BatchNorm1d(n_channel)
        self.pool1 = nn.MaxPool1d(4)
        self.conv2 = nn.Conv1d(n_channel, n_channel, kernel_size=3)
        self.bn2 = nn.BatchNorm1d(n_channel)
        self.pool2 = nn.MaxPool1d(4)
        self.conv3 = nn.Conv1d(n_channel, 2 * n_channel, kernel_size=3)
        self.bn3 = nn.BatchNorm1d(2 * n_channel)
        self.pool3 = nn.MaxPool1d(4)
        self.conv4 = nn.Conv1d(2 * n_channel, 2 * n_channel, kernel_size=3)
        self.bn4 = nn.BatchNorm1d(2 * n_channel)
        self.pool4 = nn.MaxPool1d(4)
        self.fc1 = nn.Linear(2 * n_channel, n_output)

    def forward(self, x):
        x = self.pool1(F.relu(self.bn1(self.conv1(x))))
        x = self.pool2(F.relu(self.bn2(self.conv2(x))))
        x = self.pool3(F.relu(self.bn3(self.conv3(x))))
        x = self.pool4(F.relu(self.bn4(self.conv4(x))))
        x = F.avg_pool1d(x, x.shape[-1])
        x = x.permute(0, 2, 1)
        x = self.fc1(x)
        return F.log_softmax(x, dim=2)


class RNNModel(nn.Module):
    """Encoder (embedding), a recurrent module and a decoder (linear), as the example's model.py."""

    def __init__(self, ntoken=10000, ninp=650, nhid=650, nlayers=2, dropout=0.5):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        return self.decoder(output), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.rnn.num_layers, bsz, self.rnn.hidden_size),
                weight.new_zeros(self.rnn.num_layers, bsz, self.rnn.hidden_size))
