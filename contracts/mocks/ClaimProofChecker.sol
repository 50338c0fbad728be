// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/**
 * @title ClaimProofChecker
 * @notice Test-only: checks a reward claim proof the way the RewardsDistributor does, so the
 * off-chain claim tree is tested against on-chain verification before the distributor exists.
 * The leaf is the OpenZeppelin StandardMerkleTree leaf of (account, cumulativeAmount).
 */
contract ClaimProofChecker {
    /// @notice Whether `proof` proves (account, cumulativeAmount) under `root`.
    function verify(
        bytes32 root,
        address account,
        uint256 cumulativeAmount,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
